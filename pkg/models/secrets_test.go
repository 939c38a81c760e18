package models

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Every form of a secret that can go on the wire, or come back in an
// echo, is scrubbed; nothing that is not a secret is.
func TestScrubEveryForm(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{
		URL:           "http://svcuser:url-pass-9@metrics.internal/api?token=T0KEN-value&region=eu",
		JSONData:      json.RawMessage(`{}`),
		User:          "legacy",
		BasicAuthUser: "grafana",
		DecryptedSecureJSONData: map[string]string{
			"apiKey":           "k3y/SECRET\n",
			"httpHeaderValue1": `hdr"value`,
			"password":         "legacy-pw",
		},
	}, DefaultOperator())
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	leaks := []struct{ name, text string }{
		{"the key as saved", "k3y/SECRET\n"},
		{"the key trimmed, as sent", "Bearer k3y/SECRET"},
		{"the key JSON-escaped with \\/", `"Bearer k3y\/SECRET"`},
		{"a header value JSON-escaped", `{"h":"hdr\"value"}`},
		{"legacy basic auth pair", "Basic " + b64("legacy:legacy-pw")},
		{"the URL's password", "url-pass-9"},
		{"the URL's user info", "svcuser:url-pass-9@"},
		{"the URL's user info as basic auth", b64("svcuser:url-pass-9")},
		{"a query value", "token=T0KEN-value"},
	}
	for _, tt := range leaks {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Scrub("echo: " + tt.text)
			for _, secret := range []string{"k3y", "SECRET", `hdr"value`, `hdr\"value`, "legacy-pw", b64("legacy:legacy-pw"), "url-pass-9", "T0KEN-value"} {
				if strings.Contains(got, secret) {
					t.Errorf("Scrub(%q) = %q still holds %q", tt.text, got, secret)
				}
			}
		})
	}
	// Short query values are not secrets: scrubbing "eu" would mangle data.
	if got := s.Scrub("eu-west"); got != "eu-west" {
		t.Errorf("Scrub(eu-west) = %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"http://h:8080/api", "http://h:8080/api"},
		{"http://u:pw@h/api?token=t&x=1#frag", "http://h/api?token=[redacted]&x=[redacted]"},
		// Unparsable or schemeless text never keeps its user info or query.
		{"http://svc:PW@host:80a/p?t=1", "http://host:80a/p?..."},
		{"svc:PW@metrics.internal:8080", "metrics.internal:8080"},
		{"svc:PW@metrics.internal:8080/x?tok=1", "metrics.internal:8080/x?..."},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.raw); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// A URL that fails to parse, or has no scheme, is named without its
// password in the settings error.
func TestURLErrorsNeverEchoUserInfo(t *testing.T) {
	for _, raw := range []string{"http://svc:PW-secret@host:80a", "svc:PW-secret@metrics.internal:8080", "ftp://svc:PW-secret@h/?token=PW-secret"} {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{URL: raw, JSONData: json.RawMessage(`{}`)}, DefaultOperator())
		if err == nil || strings.Contains(err.Error(), "PW-secret") {
			t.Errorf("URL %q: error %v", raw, err)
		}
	}
}

// A quote cut inside a secret leaves its start, which no whole match
// finds: the start goes before a cut mark (4 characters or more) and at
// the edge of a window that the body went on past (any length), and text
// that is no secret's start stays.
func TestScrubLeavesNoStartAtACut(t *testing.T) {
	long := "Zq7x" + strings.Repeat("a1b2", 1300) // 5.2 KB
	secrets := []string{long, "Wk3pSECRETvalue-12345"}
	for _, tc := range []struct {
		name, text string
		cut        bool
		window     bool
		want       string
	}{
		{"QuoteShort cut", `got the string "xxxxWk3pSECR..."`, false, false, `got the string "xxxx[redacted]..."`},
		{"Snippet cut", `failed: "xxxxZq7xa1b2a1"...`, false, false, `failed: "xxxx[redacted]"...`},
		{"3 characters stay", `got "xxWk3..."`, false, false, `got "xxWk3..."`},
		{"no secret's start", `got "abcdefgh..."`, false, false, `got "abcdefgh..."`},
		{"two marks", `"Wk3pSE..." and "Zq7xa1b2..."`, false, false, `"[redacted]..." and "[redacted]..."`},
		{"whole and cut", "Wk3pSECRETvalue-12345 then Wk3pSEC...", false, false, "[redacted] then [redacted]..."},
		{"window edge, body went on", "head Zq7xa1b2a1b2", true, true, "head [redacted]"},
		{"window edge, one character", "head Z", true, true, "head [redacted]"},
		{"window edge, body ended", "head Z", false, true, "head Z"},
		{"window, secret whole", "head " + long + " tail", true, true, "head [redacted] tail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scrubText(tc.text, secrets)
			if tc.window {
				got = scrubWindow(tc.text, tc.cut, secrets)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// BenchmarkScrubHostileBody scrubs a body a hostile service can send
// (variable and annotation bodies are scrubbed whole, up to the response
// size limit): 4 MB of a secret's start followed by a cut mark, over and
// over, so that every mark has a piece to remove.
func BenchmarkScrubHostileBody(b *testing.B) {
	s := &Settings{Secrets: []string{"Wk3pSECRETvalue-12345", "Zq7x" + strings.Repeat("a1b2", 1300)}}
	body := strings.Repeat(`"Wk3pSECR..." Zq7xa1b2a1"... `, 4<<20/29)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if out := s.Scrub(body); strings.Contains(out, "Wk3pS") {
			b.Fatal("a start survived")
		}
	}
}
