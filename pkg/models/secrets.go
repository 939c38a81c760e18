package models

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// minQuerySecret is the shortest URL query value treated as a secret.
// Shorter values ("eu", "x") cannot be tokens, and scrubbing them from
// every series name and label would mangle the data itself.
const minQuerySecret = 6

// secretsOf lists every form in which a secret of the data source can
// reach the service or come back in an echo: each secureJsonData value as
// saved and trimmed (the API key is sent trimmed), JSON-escaped (a service
// that echoes a header inside a JSON string escapes it, and may write
// "/" as "\/"), the base64 basic-auth pairs (Grafana's and the legacy
// user/password fields), the URL's user info, and its query values. The
// longest come first, so a secret that contains another is scrubbed whole.
func secretsOf(s backend.DataSourceInstanceSettings, u *url.URL) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		for _, form := range []string{v, strings.TrimSpace(v)} {
			for _, f := range []string{form, jsonEscaped(form), strings.ReplaceAll(jsonEscaped(form), "/", `\/`)} {
				if strings.TrimSpace(f) != "" && !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
		}
	}
	for _, v := range s.DecryptedSecureJSONData {
		add(v)
	}
	basicPair := func(user, pw string) {
		if pw != "" {
			add(base64.StdEncoding.EncodeToString([]byte(user + ":" + pw)))
		}
	}
	basicPair(s.BasicAuthUser, s.DecryptedSecureJSONData["basicAuthPassword"])
	basicPair(s.User, s.DecryptedSecureJSONData["password"])
	if u != nil && u.User != nil {
		pw, _ := u.User.Password()
		add(pw)
		add(u.User.String())
		basicPair(u.User.Username(), pw)
	}
	if u != nil {
		for _, values := range u.Query() {
			for _, v := range values {
				if len(v) >= minQuerySecret {
					add(v)
					add(url.QueryEscape(v))
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func jsonEscaped(v string) string {
	b, _ := json.Marshal(v)
	return string(b[1 : len(b)-1])
}

// Scrub removes every secret from text that may have come from the
// service (which could echo our headers) or from a library error. Callers
// scrub before they shorten a text, so no part of a secret survives a cut.
func (s *Settings) Scrub(text string) string {
	for _, secret := range s.Secrets {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	return text
}

// RedactURL is a URL for messages and the query inspector: without user
// info or fragment, and with every query value replaced by [redacted]
// (keys stay, so the user sees which parameters were sent). Text that
// does not parse as a URL loses everything up to its last "@" in the host
// part and everything from its "?" on, so no password or token is ever
// echoed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		// "svc:PW@host:8080" parses as the scheme "svc" with opaque text.
		return redactUnparsed(raw)
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	query := u.RawQuery
	u.RawQuery = ""
	out := u.String()
	if query != "" {
		var keys []string
		for _, pair := range strings.Split(query, "&") {
			key, _, _ := strings.Cut(pair, "=")
			keys = append(keys, key+"=[redacted]")
		}
		out += "?" + strings.Join(keys, "&")
	}
	return out
}

func redactUnparsed(raw string) string {
	rest, cut := raw, false
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest, cut = rest[:i], true
	}
	start := 0
	if i := strings.Index(rest, "://"); i >= 0 {
		start = i + 3
	}
	end := len(rest)
	if i := strings.Index(rest[start:], "/"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndex(rest[start:end], "@"); at >= 0 {
		rest = rest[:start] + rest[start+at+1:]
	}
	if cut {
		rest += "?..."
	}
	return rest
}

// tlsSkipVerify reads Grafana's standard jsonData.tlsSkipVerify.
func tlsSkipVerify(jsonData json.RawMessage) bool {
	var jd struct {
		TLSSkipVerify bool `json:"tlsSkipVerify"`
	}
	_ = json.Unmarshal(jsonData, &jd)
	return jd.TLSSkipVerify
}
