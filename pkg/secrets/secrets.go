// Package secrets finds the forms a secret can take on the wire and
// removes them from text: the data source's secureJsonData, basic auth
// pairs and URL credentials (Of), and any list a caller adds (the
// request's user's tokens, pkg/identity). Callers scrub before they
// shorten a text, so no part of a secret survives a cut.
package secrets

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// MinQuerySecret is the shortest URL query value treated as a secret.
// Shorter values ("eu", "x") cannot be tokens, and scrubbing them from
// every series name and label would mangle the data itself.
const MinQuerySecret = 6

// Of lists every form in which a secret of the data source can
// reach the service or come back in an echo: each secureJsonData value as
// saved and trimmed (the API key is sent trimmed), JSON-escaped (a service
// that echoes a header inside a JSON string escapes it, and may write
// "/" as "\/"), the base64 basic-auth pairs (Grafana's and the legacy
// user/password fields), the URL's user info, and its query values. The
// longest come first, so a secret that contains another is scrubbed whole.
func Of(s backend.DataSourceInstanceSettings, u *url.URL) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		for _, form := range []string{v, strings.TrimSpace(v)} {
			for _, f := range []string{form, JSONEscaped(form), strings.ReplaceAll(JSONEscaped(form), "/", `\/`)} {
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
				if len(v) >= MinQuerySecret {
					add(v)
					add(url.QueryEscape(v))
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// JSONEscaped is v as it reads inside a JSON string.
func JSONEscaped(v string) string {
	b, _ := json.Marshal(v)
	return string(b[1 : len(b)-1])
}

// redacted replaces a secret, or the piece of one a cut left.
const redacted = "[redacted]"

// cutMark ends a quote that was cut short (contract.Snippet,
// jsonscan.QuoteShort): a value quoted in a decode error is cut before
// the error can be scrubbed, so the start of a secret can sit just
// before the mark.
const cutMark = "..."

// minCutPiece is the shortest start of a secret redacted before a cut
// mark or at a window's edge where the text may not have been cut: one
// to three characters match ordinary text too often to remove, and
// reveal nothing of a token.
const minCutPiece = 4

// Scrub replaces every secret of the lists in text, then the start
// of a secret left just before a cut mark.
func Scrub(text string, lists ...[]string) string {
	for _, list := range lists {
		for _, secret := range list {
			text = strings.ReplaceAll(text, secret, redacted)
		}
	}
	if !strings.Contains(text, cutMark) {
		return text
	}
	return redactCutStarts(text, lists...)
}

// redactCutStarts replaces each piece of text that is the start of a
// secret, at least minCutPiece long, and is followed by a cut mark
// (jsonscan.QuoteShort writes `"start..."`, contract.Snippet
// `"start"...`). One scan per secret, and one copy of the text: bodies
// of many megabytes pass through here too.
func redactCutStarts(text string, lists ...[]string) string {
	var cuts [][2]int
	for _, list := range lists {
		for _, secret := range list {
			if len(secret) <= minCutPiece {
				continue
			}
			first := secret[:minCutPiece]
			for i := 0; i+minCutPiece <= len(text); {
				j := strings.Index(text[i:], first)
				if j < 0 {
					break
				}
				i += j
				n := minCutPiece
				for n < len(secret) && i+n < len(text) && text[i+n] == secret[n] {
					n++
				}
				if rest := text[i+n:]; n < len(secret) && (strings.HasPrefix(rest, cutMark) || strings.HasPrefix(rest, `"`+cutMark)) {
					cuts = append(cuts, [2]int{i, i + n})
					i += n
					continue
				}
				i++
			}
		}
	}
	if len(cuts) == 0 {
		return text
	}
	sort.Slice(cuts, func(a, b int) bool { return cuts[a][0] < cuts[b][0] })
	var sb strings.Builder
	sb.Grow(len(text))
	at := 0
	for _, c := range cuts {
		if c[1] <= at {
			continue // inside a piece already replaced
		}
		if c[0] >= at { // else it extends the piece just replaced
			sb.WriteString(text[at:c[0]])
			sb.WriteString(redacted)
		}
		at = c[1]
	}
	sb.WriteString(text[at:])
	return sb.String()
}

// pieceBefore finds the longest piece of text ending at end, at least
// minLen long, that is the start of a secret (but not the whole secret,
// which is already gone), and returns where it starts; end when there is
// none.
func pieceBefore(text string, end, minLen int, lists ...[]string) int {
	best := end
	for _, list := range lists {
		for _, secret := range list {
			if len(secret) <= minLen {
				continue
			}
			from := max(0, end-len(secret)+1)
			first := secret[:minLen]
			for i := from; i <= end-minLen && i < best; {
				j := strings.Index(text[i:end], first)
				if j < 0 {
					break
				}
				i += j
				if i < best && strings.HasPrefix(secret, text[i:end]) {
					best = i
					break
				}
				i++
			}
		}
	}
	return best
}

// Window scrubs the first bytes of a body read for a quote. A secret
// that begins inside the window may run past its end (a 5 KB OAuth token
// in a 4 KB window), where no whole match can catch it: when the body
// went on past the window (cut), any start of a secret at its end goes,
// however short; when that is not known, minLen of it.
func Window(text string, cut bool, lists ...[]string) string {
	text = Scrub(text, lists...)
	minLen := minCutPiece
	if cut {
		minLen = 1
	}
	if start := pieceBefore(text, len(text), minLen, lists...); start < len(text) {
		text = text[:start] + redacted
	}
	return text
}

// Longest is the length of the longest secret of the lists (each list is
// sorted longest first).
func Longest(lists ...[]string) int {
	n := 0
	for _, l := range lists {
		if len(l) > 0 {
			n = max(n, len(l[0]))
		}
	}
	return n
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
