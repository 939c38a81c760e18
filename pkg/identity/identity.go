// Package identity is the signed-in user's part of a request: what of
// them a data source forwards (Forwarding), what Grafana sent
// (Forwarded), the Identity that reaches the service, the key that keeps
// users' answers apart, and the forms of their tokens to scrub.
package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/secrets"
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

// ForwardingOf reads Grafana's standard forwarding keys of jsonData.
func ForwardingOf(jd map[string]json.RawMessage) (Forwarding, error) {
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

// Identity is the signed-in user's part of one request: what of them the
// data source lets reach the service.
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
}

// Forwarded is what Grafana forwarded of the signed-in user with one
// request, one value per header: Grafana's own, never a second value the
// browser added beside it.
type Forwarded struct{ Authorization, IDToken, Cookie string }

// sdkHeaderPrefix is how the SDK's SetHTTPHeader marks a forwarded header
// in the string maps of queries and health checks.
const sdkHeaderPrefix = "http_"

// ForwardedOf picks Grafana's own values out of a request's headers as
// they arrived, before the SDK's GetHTTPHeaders merges spellings in map
// order. On resource calls Grafana passes the browser's own headers too
// (9.3.2 all of them), so a value is Grafana's only where the browser
// cannot have put it:
//   - X-Id-Token: Grafana's middleware writes the key "X-ID-Token", which no
//     browser header can arrive as (Go's server canonicalizes it to
//     "X-Id-Token"); the SDK's SetHTTPHeader writes "http_X-Id-Token";
//     9.3.2 appends its own after the browser's under "X-Id-Token", so the
//     last value of that key is the fallback.
//   - Authorization: Grafana replaces (or, 9.3.2, appends to) the key; the
//     last value.
//   - Cookie: Grafana keeps the browser's named cookies; every value.
//
// An ID token goes only with an OAuth Authorization: without one Grafana
// had no token for the user, and any X-Id-Token came from the browser.
func ForwardedOf(raw map[string][]string) Forwarded {
	last := func(vs []string) string {
		if len(vs) == 0 {
			return ""
		}
		return vs[len(vs)-1]
	}
	var f Forwarded
	idRank := 0
	var cookies []string
	for k, vs := range raw {
		name, sdk := strings.CutPrefix(k, sdkHeaderPrefix)
		switch http.CanonicalHeaderKey(name) {
		case backend.OAuthIdentityTokenHeaderName:
			if v := last(vs); v != "" && (sdk || f.Authorization == "") {
				f.Authorization = v
			}
		case backend.OAuthIdentityIDTokenHeaderName:
			rank := 1
			switch {
			case name == "X-ID-Token":
				rank = 3
			case sdk:
				rank = 2
			}
			if v := last(vs); v != "" && rank > idRank {
				f.IDToken, idRank = v, rank
			}
		case backend.CookiesHeaderName:
			for _, v := range vs {
				if v != "" {
					cookies = append(cookies, v)
				}
			}
		}
	}
	sort.Strings(cookies) // map order must not decide what is sent
	f.Cookie = strings.Join(cookies, "; ")
	if f.Authorization == "" {
		f.IDToken = ""
	}
	return f
}

// ForwardedOfStrings is ForwardedOf for the string maps of queries and
// health checks.
func ForwardedOfStrings(raw map[string]string) Forwarded {
	m := make(map[string][]string, len(raw))
	for k, v := range raw {
		m[k] = []string{v}
	}
	return ForwardedOf(m)
}

// SchedulerLogin is the user Grafana's alert scheduler evaluates rules as
// (SchedulerUserFor, in newer versions); 9.x sends no user at all.
const SchedulerLogin = "grafana_scheduler"

// AlertEvaluation tells whether a request is an alert rule's evaluation,
// which has no user to forward. Grafana copies the FromAlert header from
// any /api/ds/query request (the rule editor's preview sends it), so the
// header alone proves nothing: a request that carries a user other than
// the scheduler is that user's, whatever the header says.
func AlertEvaluation(user *backend.User, fromAlert bool) bool {
	return fromAlert && (user == nil || user.Login == SchedulerLogin)
}

// Of reads the user's identity from what Grafana sent with a request,
// under the data source's forwarding f: the forwarded headers (Grafana's own values, ForwardedOf), the
// user of the plugin context and the FromAlert header.
func Of(f Forwarding, fwd Forwarded, user *backend.User, fromAlert bool) Identity {
	if !f.On() {
		// Nothing of the user reaches the service: everyone, alert rules
		// included, gets the same answer, as before forwarding existed.
		return Identity{}
	}
	if AlertEvaluation(user, fromAlert) {
		// The data source's own credentials, and nothing of any user.
		return Identity{Alert: true}
	}
	var id Identity
	if f.OAuthPassThru && fwd.Authorization != "" {
		id.Authorization, id.IDToken = fwd.Authorization, fwd.IDToken
	}
	id.Cookie = keptCookies(fwd.Cookie, f.KeepCookies)
	if f.SendUserHeader && user != nil {
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

// Apply puts the user's identity on an outgoing request by name, one
// value each. The SDK forwards nothing by itself (the client turns its
// forwarding off): filtering what it added by value deleted our own
// Content-Type and the data source's tenant header whenever a browser sent
// the same value. The data source's custom headers are added after this
// and replace a header of the same name, so they win.
func (id Identity) Apply(h http.Header) {
	for name, v := range map[string]string{
		backend.OAuthIdentityTokenHeaderName:   id.Authorization,
		backend.OAuthIdentityIDTokenHeaderName: id.IDToken,
		backend.CookiesHeaderName:              id.Cookie,
		UserHeader:                             id.User,
	} {
		if v != "" {
			h.Set(name, v)
		}
	}
}

// Key is the part of a cache and sharing key that keeps users apart: a
// hash of everything of the user that reaches the service, never the
// values themselves, and whether an alert rule asks.
func (id Identity) Key() string {
	switch {
	case id.Alert:
		// Of gives an alert rule nothing of a user.
		return "alert"
	case id.Authorization == "" && id.IDToken == "" && id.Cookie == "" && id.User == "":
		return "anonymous"
	}
	h := sha256.New()
	for _, part := range []string{id.Authorization, id.IDToken, id.Cookie, id.User} {
		fmt.Fprintf(h, "%d:%s\n", len(part), part)
	}
	return "user:" + hex.EncodeToString(h.Sum(nil))
}

// Secrets are the forms of the user's tokens and cookies an echo may
// carry back: each whole, the token without its scheme, each cookie's
// value, JSON-escaped too.
func (id Identity) Secrets() []string {
	var raw []string
	for _, tok := range []string{id.Authorization, id.IDToken} {
		if tok == "" {
			continue
		}
		raw = append(raw, tok)
		if _, bare, ok := strings.Cut(tok, " "); ok && len(bare) >= secrets.MinQuerySecret {
			raw = append(raw, bare)
		}
	}
	if id.Cookie != "" {
		raw = append(raw, id.Cookie)
		r := http.Request{Header: http.Header{"Cookie": {id.Cookie}}}
		for _, c := range r.Cookies() {
			if len(c.Value) >= secrets.MinQuerySecret {
				raw = append(raw, c.Value)
			}
		}
	}
	var out []string
	for _, v := range raw {
		out = append(out, v, secrets.JSONEscaped(v), strings.ReplaceAll(secrets.JSONEscaped(v), "/", `\/`))
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

type identityKey struct{}

// With carries a request's identity to the client, the pipeline
// and the scrubber.
func With(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// From is the request's identity; a context without one has none.
func From(ctx context.Context) Identity {
	id, _ := ctx.Value(identityKey{}).(Identity)
	return id
}
