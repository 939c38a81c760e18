package contract

import (
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	for in, want := range map[string]string{"": "an empty body", " ok\n": `"ok"`, strings.Repeat("x", 10): `"xxxx"...`} {
		if got := Snippet([]byte(in), 4); got != want {
			t.Errorf("Snippet(%q) = %s, want %s", in, got, want)
		}
	}
}
