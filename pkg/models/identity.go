package models

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Forwarding is what a data source lets through of the signed-in user's
// identity: Grafana's standard jsonData keys.
type Forwarding struct {
	OAuthPassThru  bool
	SendUserHeader bool
	// KeepCookies are the names of the cookies forwarded; others are dropped.
	KeepCookies []string
}

// On tells whether anything of the user reaches the service, and so
// whether answers must be kept apart per user.
func (f Forwarding) On() bool { return f.OAuthPassThru || f.SendUserHeader || len(f.KeepCookies) > 0 }

// identity.json is the one statement of the forwarding settings' labels
// and explanations: the configuration page imports it too.
//
//go:embed identity.json
var identityJSON []byte

var identityRules = func() (r struct {
	Settings []struct{ Key, Label, Description string }
	Winner   string
}) {
	if err := json.Unmarshal(identityJSON, &r); err != nil || r.Winner == "" || len(r.Settings) != 3 {
		panic(fmt.Sprintf("identity.json: %v", err))
	}
	return r
}()

// WinnerNote is what Save & test says when forwarding and the data
// source's own credentials are both set; the page says the same.
func WinnerNote() string { return identityRules.Winner }

func forwardingOf(jd map[string]json.RawMessage) (Forwarding, error) {
	var f Forwarding
	for key, dst := range map[string]*bool{"oauthPassThru": &f.OAuthPassThru, "sendUserHeader": &f.SendUserHeader} {
		if raw := jd[key]; len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, dst); err != nil {
				return f, fmt.Errorf("%s must be true or false, not %s; save the configuration page again", key, raw)
			}
		}
	}
	if raw := jd["keepCookies"]; len(raw) > 0 && string(raw) != "null" {
		var names []string
		if err := json.Unmarshal(raw, &names); err != nil {
			return f, fmt.Errorf(`keepCookies must be a list of cookie names, such as ["session_id"]: %v`, err)
		}
		for _, n := range names {
			if n = strings.TrimSpace(n); n != "" {
				f.KeepCookies = append(f.KeepCookies, n)
			}
		}
	}
	return f, nil
}

// Identity is the signed-in user's part of one request: what Grafana
// forwarded, and what of it the data source lets reach the service.
type Identity struct {
	// Authorization and IDToken are the user's OAuth tokens, when
	// forwarding is on and Grafana sent them.
	Authorization string
	IDToken       string
	// Cookie holds only the kept cookies, as they reach the service.
	Cookie string
	// User is the login sent as X-Grafana-User.
	User string
	// Alert marks an alert rule's evaluation, which has no user.
	Alert bool
	// forwarded is every header Grafana forwarded, so that what the
	// settings do not allow can be taken back off the outgoing request.
	forwarded http.Header
}

// IdentityOf reads the user's identity from what Grafana sent with a
// request: the forwarded headers (backend.ForwardHTTPHeaders) and the user
// of the plugin context.
func (s *Settings) IdentityOf(headers http.Header, user *backend.User, alert bool) Identity {
	f := s.Forwarding
	if !f.On() {
		// Nothing of the user reaches the service: everyone, alert rules
		// included, gets the same answer, as before forwarding existed.
		return Identity{}
	}
	id := Identity{Alert: alert, forwarded: headers}
	if f.OAuthPassThru {
		id.Authorization = headers.Get(backend.OAuthIdentityTokenHeaderName)
		id.IDToken = headers.Get(backend.OAuthIdentityIDTokenHeaderName)
	}
	id.Cookie = keptCookies(headers.Get(backend.CookiesHeaderName), f.KeepCookies)
	if f.SendUserHeader && user != nil && !alert {
		id.User = user.Login
	}
	return id
}

func keptCookies(header string, keep []string) string {
	if header == "" || len(keep) == 0 {
		return ""
	}
	r := http.Request{Header: http.Header{"Cookie": {header}}}
	var kept []string
	for _, c := range r.Cookies() {
		for _, k := range keep {
			if c.Name == k {
				kept = append(kept, c.String())
				break
			}
		}
	}
	return strings.Join(kept, "; ")
}

// UserHeader is where the user's login is sent.
const UserHeader = "X-Grafana-User"

// Filter takes back off an outgoing request what Grafana forwarded
// (through the SDK's forwarding) but the settings do not let through,
// keeps only the named cookies, and names the user. It runs after the
// SDK has added the forwarded headers.
func (id Identity) Filter(h http.Header) {
	allowed := map[string]string{
		backend.OAuthIdentityTokenHeaderName:   id.Authorization,
		backend.OAuthIdentityIDTokenHeaderName: id.IDToken,
	}
	for k, vs := range id.forwarded {
		k = http.CanonicalHeaderKey(k)
		if len(vs) == 0 || h.Get(k) != vs[0] {
			continue // the data source's own value, not the forwarded one
		}
		switch {
		case k == backend.CookiesHeaderName && id.Cookie != "":
			h.Set(k, id.Cookie)
		case allowed[k] != "":
		default:
			h.Del(k)
		}
	}
	h.Del(UserHeader)
	if id.User != "" {
		h.Set(UserHeader, id.User)
	}
}

// Key is the part of a cache and sharing key that keeps users apart: a
// hash of everything of the user that reaches the service, never the
// values themselves, and whether an alert rule asks.
func (id Identity) Key() string {
	if id.Authorization == "" && id.IDToken == "" && id.Cookie == "" && id.User == "" {
		if id.Alert {
			return "alert"
		}
		return "anonymous"
	}
	h := sha256.New()
	for _, part := range []string{id.Authorization, id.IDToken, id.Cookie, id.User} {
		fmt.Fprintf(h, "%d:%s\n", len(part), part)
	}
	kind := "user"
	if id.Alert {
		kind = "alert"
	}
	return kind + ":" + hex.EncodeToString(h.Sum(nil))
}

// secrets are the forms of the user's tokens and cookies an echo may
// carry back: each whole, the token without its scheme, each cookie's
// value, JSON-escaped too.
func (id Identity) secrets() []string {
	var raw []string
	for _, tok := range []string{id.Authorization, id.IDToken} {
		if tok == "" {
			continue
		}
		raw = append(raw, tok)
		if _, bare, ok := strings.Cut(tok, " "); ok && len(bare) >= minQuerySecret {
			raw = append(raw, bare)
		}
	}
	if id.Cookie != "" {
		raw = append(raw, id.Cookie)
		r := http.Request{Header: http.Header{"Cookie": {id.Cookie}}}
		for _, c := range r.Cookies() {
			if len(c.Value) >= minQuerySecret {
				raw = append(raw, c.Value)
			}
		}
	}
	var out []string
	for _, v := range raw {
		out = append(out, v, jsonEscaped(v), strings.ReplaceAll(jsonEscaped(v), "/", `\/`))
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

type identityKey struct{}

// WithIdentity carries a request's identity to the client, the pipeline
// and the scrubber.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom is the request's identity; a context without one has none.
func IdentityFrom(ctx context.Context) Identity {
	id, _ := ctx.Value(identityKey{}).(Identity)
	return id
}

// ScrubFor scrubs the data source's secrets and those of the request's
// user: the per-instance list does not know a request's tokens.
func (s *Settings) ScrubFor(ctx context.Context) func(string) string {
	user := IdentityFrom(ctx).secrets()
	if len(user) == 0 {
		return s.Scrub
	}
	return func(text string) string {
		for _, secret := range user {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
		return s.Scrub(text)
	}
}

// HasSecrets tells whether anything needs scrubbing for this request.
func (s *Settings) HasSecrets(ctx context.Context) bool {
	return len(s.Secrets) > 0 || len(IdentityFrom(ctx).secrets()) > 0
}
