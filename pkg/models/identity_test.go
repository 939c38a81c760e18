package models

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
)

func TestIdentityApplyAndKey(t *testing.T) {
	forwarded := identity.Forwarded{Authorization: "Bearer tok-abcdef", IDToken: "idt-abcdef",
		Cookie: "session_id=ck-abcdef; grafana_session=gf; other=x"}
	user := &backend.User{Login: "alice"}
	for _, tc := range []struct {
		name  string
		fwd   identity.Forwarding
		alert bool
		want  http.Header // what reaches the service of the user-side headers
		key   string      // prefix of the key
	}{
		{"off", identity.Forwarding{}, false, http.Header{}, "anonymous"},
		{"oauth", identity.Forwarding{OAuthPassThru: true}, false,
			http.Header{"Authorization": {"Bearer tok-abcdef"}, "X-Id-Token": {"idt-abcdef"}}, "user:"},
		{"cookies only", identity.Forwarding{KeepCookies: []string{"session_id"}}, false,
			http.Header{"Cookie": {"session_id=ck-abcdef"}}, "user:"},
		{"user header", identity.Forwarding{SendUserHeader: true}, false, http.Header{"X-Grafana-User": {"alice"}}, "user:"},
		{"alice with FromAlert keeps her identity", identity.Forwarding{OAuthPassThru: true, SendUserHeader: true, KeepCookies: []string{"session_id"}}, true,
			http.Header{"Authorization": {"Bearer tok-abcdef"}, "X-Id-Token": {"idt-abcdef"}, "Cookie": {"session_id=ck-abcdef"}, "X-Grafana-User": {"alice"}}, "user:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Settings{Forwarding: tc.fwd}
			id := s.IdentityOf(forwarded, user, tc.alert)
			out := http.Header{}
			id.Apply(out)
			if len(out) != len(tc.want) {
				t.Fatalf("sent %v, want %v", out, tc.want)
			}
			for k := range tc.want {
				if len(out.Values(k)) != 1 || out.Get(k) != tc.want.Get(k) {
					t.Errorf("%s: sent %q, want %q", k, out.Values(k), tc.want.Get(k))
				}
			}
			key := id.Key()
			if !strings.HasPrefix(key, tc.key) || strings.Contains(key, "abcdef") {
				t.Errorf("key %q: want prefix %q and no secret", key, tc.key)
			}
		})
	}
}

// Grafana copies FromAlert from any /api/ds/query request: only a request
// without a user, or with Grafana's scheduler as its user, is an alert
// rule's evaluation; everyone else keeps their identity and their cache.
func TestFromAlertIsNotAProof(t *testing.T) {
	s := &Settings{Forwarding: identity.Forwarding{OAuthPassThru: true, SendUserHeader: true}}
	fwd := identity.Forwarded{Authorization: "Bearer alice-tok"}
	alice := &backend.User{Login: "alice", Email: "alice@example.com"}
	scheduler := &backend.User{Login: identity.SchedulerLogin, Role: "Admin"}
	alertKey := s.IdentityOf(identity.Forwarded{}, nil, true).Key()
	for _, tc := range []struct {
		name      string
		user      *backend.User
		fwd       identity.Forwarded
		fromAlert bool
		alert     bool
		login     string
	}{
		{"a user who adds FromAlert", alice, fwd, true, false, "alice"},
		{"a user who adds FromAlert, no token", alice, identity.Forwarded{}, true, false, "alice"},
		{"the same user without it", alice, fwd, false, false, "alice"},
		{"no user (Grafana 9.x rules and previews)", nil, identity.Forwarded{}, true, true, ""},
		{"the scheduler (newer Grafana)", scheduler, identity.Forwarded{}, true, true, ""},
		{"the scheduler's login without FromAlert", scheduler, identity.Forwarded{}, false, false, identity.SchedulerLogin},
		{"no user, no FromAlert", nil, identity.Forwarded{}, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := s.IdentityOf(tc.fwd, tc.user, tc.fromAlert)
			if id.Alert != tc.alert || id.User != tc.login {
				t.Fatalf("alert %v, login %q; want %v, %q", id.Alert, id.User, tc.alert, tc.login)
			}
			if got := id.Key() == alertKey; got != tc.alert {
				t.Errorf("key %q shares the alert rules' key: %v, want %v", id.Key(), got, tc.alert)
			}
			if tc.alert && (id.Authorization != "" || id.Cookie != "") {
				t.Errorf("an alert rule forwards %+v", id)
			}
		})
	}
}

func TestUsersAndAlertsHaveTheirOwnKeys(t *testing.T) {
	s := &Settings{Forwarding: identity.Forwarding{OAuthPassThru: true}}
	keys := map[string]string{}
	alice := &backend.User{Login: "alice"}
	for name, id := range map[string]identity.Identity{
		"alice":       s.IdentityOf(identity.Forwarded{Authorization: "Bearer a"}, alice, false),
		"bob":         s.IdentityOf(identity.Forwarded{Authorization: "Bearer b"}, alice, false),
		"no token":    s.IdentityOf(identity.Forwarded{}, alice, false),
		"alert":       s.IdentityOf(identity.Forwarded{}, nil, true),
		"alice alert": s.IdentityOf(identity.Forwarded{Authorization: "Bearer c"}, alice, true),
	} {
		if other, dup := keys[id.Key()]; dup {
			t.Errorf("%s and %s share the key %q", name, other, id.Key())
		}
		keys[id.Key()] = name
	}
}

func TestRequestScrubKnowsTheUsersTokens(t *testing.T) {
	s := &Settings{Forwarding: identity.Forwarding{OAuthPassThru: true, KeepCookies: []string{"sid"}}}
	id := s.IdentityOf(identity.Forwarded{Authorization: "Bearer a/tok-123456", IDToken: "idt-654321", Cookie: "sid=ck-999999"}, nil, false)
	scrub := s.ScrubFor(identity.With(context.Background(), id))
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
		_, err := LoadSettings(backend.DataSourceInstanceSettings{URL: "http://x", JSONData: []byte(tc.jsonData)}, DefaultOperator())
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v, want %q", tc.jsonData, err, tc.err)
		}
	}
}
