package secrets

import (
	"strings"
	"testing"
)

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

// A quote cut inside a secret leaves its start, which no whole match
// finds: the start goes before a cut mark (4 characters or more) and at
// the edge of a window that the body went on past (any length), and text
// that is no secret's start stays.
func TestScrubLeavesNoStartAtACut(t *testing.T) {
	long := "Zq7x" + strings.Repeat("a1b2", 1300) // 5.2 KB
	list := []string{long, "Wk3pSECRETvalue-12345"}
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
			got := Scrub(tc.text, list)
			if tc.window {
				got = Window(tc.text, tc.cut, list)
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
	list := []string{"Wk3pSECRETvalue-12345", "Zq7x" + strings.Repeat("a1b2", 1300)}
	body := strings.Repeat(`"Wk3pSECR..." Zq7xa1b2a1"... `, 4<<20/29)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if out := Scrub(body, list); strings.Contains(out, "Wk3pS") {
			b.Fatal("a start survived")
		}
	}
}
