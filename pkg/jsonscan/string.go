package jsonscan

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// readString reads a string token and returns its value. Invalid UTF-8
// becomes U+FFFD, as jsontext.AllowInvalidUTF8 has it.
func (s *Scanner) readString() (string, error) {
	n := 1
	escaped, high := false, false
	for {
		c, ok := s.at(n)
		if !ok {
			return "", s.truncated()
		}
		switch {
		case c == '"':
			body := s.buf[s.pos+1 : s.pos+n]
			s.pos += n + 1
			var out string
			if escaped {
				out = unescape(body)
			} else {
				out = string(body)
			}
			if high && !utf8.ValidString(out) {
				out = strings.ToValidUTF8(out, "\uFFFD")
			}
			return out, nil
		case c == '\\':
			escaped = true
			e, ok := s.at(n + 1)
			if !ok {
				return "", s.truncated()
			}
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				n += 2
			case 'u':
				for k := 2; k < 6; k++ {
					h, ok := s.at(n + k)
					if !ok {
						return "", s.truncated()
					}
					if !isHex(h) {
						return "", s.fail(n+k, "invalid character %q in \\u escape", h)
					}
				}
				n += 6
			default:
				return "", s.fail(n+1, "invalid escape \\%c in string", e)
			}
			continue
		case c < 0x20:
			return "", s.fail(n, "invalid control character %q in string", c)
		case c >= utf8.RuneSelf:
			high = true
		}
		n++
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// unescape decodes a validated string body with escapes. A lone UTF-16
// surrogate becomes U+FFFD.
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch b[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hex4(b[i+2 : i+6]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if pair := utf16.DecodeRune(r, rune(hex4(b[i+2:i+6]))); pair != utf8.RuneError {
						out = utf8.AppendRune(out, pair)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, b[i+1])
		}
		i += 2
	}
	return string(out)
}

func hex4(b []byte) uint16 {
	var v uint16
	for _, c := range b {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		v = v<<4 | uint16(c)
	}
	return v
}
