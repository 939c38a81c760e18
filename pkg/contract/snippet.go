package contract

import (
	"bytes"
	"strconv"
)

// Snippet returns the first n bytes of body as printable text, for error
// messages about bodies that are not what was expected.
func Snippet(body []byte, n int) string {
	body = bytes.TrimSpace(body)
	cut := len(body) > n
	if cut {
		body = body[:n]
	}
	s := strconv.Quote(string(bytes.ToValidUTF8(body, []byte("?"))))
	if cut {
		s += "..."
	}
	if len(body) == 0 {
		return "an empty body"
	}
	return s
}
