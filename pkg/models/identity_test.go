package models

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestIdentityFilterAndKey(t *testing.T) {
	forwarded := http.Header{
		"Authorization":  {"Bearer tok-abcdef"},
		"X-Id-Token":     {"idt-abcdef"},
		"Cookie":         {"session_id=ck-abcdef; grafana_session=gf; other=x"},
		"X-Grafana-Id":   {"jwt-abcdef"},
		"X-Grafana-User": {"mallory"},
	}
	user := &backend.User{Login: "alice"}
	for _, tc := range []struct {
		name  string
		fwd   Forwarding
		alert bool
		want  http.Header // what reaches the service of the user-side headers
		key   string      // prefix of the key
	}{
		{"off", Forwarding{}, false, http.Header{}, "anonymous"},
		{"oauth", Forwarding{OAuthPassThru: true}, false,
			http.Header{"Authorization": {"Bearer tok-abcdef"}, "X-Id-Token": {"idt-abcdef"}}, "user:"},
		{"cookies only", Forwarding{KeepCookies: []string{"session_id"}}, false,
			http.Header{"Cookie": {"session_id=ck-abcdef"}}, "user:"},
		{"user header", Forwarding{SendUserHeader: true}, false, http.Header{"X-Grafana-User": {"alice"}}, "user:"},
		{"alert with everything on", Forwarding{OAuthPassThru: true, SendUserHeader: true, KeepCookies: []string{"session_id"}}, true,
			http.Header{"Authorization": {"Bearer tok-abcdef"}, "X-Id-Token": {"idt-abcdef"}, "Cookie": {"session_id=ck-abcdef"}}, "alert:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Settings{Forwarding: tc.fwd}
			id := s.IdentityOf(forwarded, user, tc.alert)
			out := http.Header{}
			if tc.fwd.On() { // the SDK forwards only when the client asks it to
				for k, v := range forwarded {
					out[k] = append([]string(nil), v...)
				}
			}
			id.Filter(out)
			if len(out) != len(tc.want) {
				t.Fatalf("sent %v, want %v", out, tc.want)
			}
			for k := range tc.want {
				if out.Get(k) != tc.want.Get(k) {
					t.Errorf("%s: sent %q, want %q", k, out.Get(k), tc.want.Get(k))
				}
			}
			key := id.Key()
			if !strings.HasPrefix(key, tc.key) || strings.Contains(key, "abcdef") {
				t.Errorf("key %q: want prefix %q and no secret", key, tc.key)
			}
		})
	}
}

func TestUsersAndAlertsHaveTheirOwnKeys(t *testing.T) {
	s := &Settings{Forwarding: Forwarding{OAuthPassThru: true}}
	keys := map[string]string{}
	for name, id := range map[string]Identity{
		"alice":     s.IdentityOf(http.Header{"Authorization": {"Bearer a"}}, nil, false),
		"bob":       s.IdentityOf(http.Header{"Authorization": {"Bearer b"}}, nil, false),
		"no token":  s.IdentityOf(http.Header{}, nil, false),
		"alert":     s.IdentityOf(http.Header{}, nil, true),
		"alert tok": s.IdentityOf(http.Header{"Authorization": {"Bearer a"}}, nil, true),
	} {
		if other, dup := keys[id.Key()]; dup {
			t.Errorf("%s and %s share the key %q", name, other, id.Key())
		}
		keys[id.Key()] = name
	}
}

func TestRequestScrubKnowsTheUsersTokens(t *testing.T) {
	s := &Settings{Forwarding: Forwarding{OAuthPassThru: true, KeepCookies: []string{"sid"}}}
	id := s.IdentityOf(http.Header{"Authorization": {"Bearer a/tok-123456"}, "X-Id-Token": {"idt-654321"}, "Cookie": {"sid=ck-999999"}}, nil, false)
	scrub := s.ScrubFor(WithIdentity(context.Background(), id))
	got := scrub(`echo Bearer a/tok-123456 "a\/tok-123456" idt-654321 ck-999999`)
	for _, secret := range []string{"tok-123456", "idt-654321", "ck-999999"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q survived: %s", secret, got)
		}
	}
}

func TestForwardingSettings(t *testing.T) {
	for _, tc := range []struct{ jsonData, err string }{
		{`{"oauthPassThru": true, "sendUserHeader": false, "keepCookies": ["a", " "]}`, ""},
		{`{"oauthPassThru": "yes"}`, "oauthPassThru must be true or false"},
		{`{"keepCookies": "a,b"}`, "keepCookies must be a list of cookie names"},
	} {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{URL: "http://x", JSONData: []byte(tc.jsonData)})
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v, want %q", tc.jsonData, err, tc.err)
		}
	}
}
