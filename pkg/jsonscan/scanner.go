// Package jsonscan is a streaming JSON tokenizer, with the number parsing
// that goes with it. Beyond JSON it knows one shape, the time series point
// [value, unixMillis]: an answer is mostly long arrays of them, and
// parsing those in one pass is what makes a tokenizer of our own worth
// having.
package jsonscan

import (
	"bytes"
	"fmt"
	"io"
)

// Scanner is a streaming JSON tokenizer with the part of jsontext.Decoder's
// API a decoder needs (PeekKind, ReadToken, ReadValue, SkipValue), plus
// ReadPlainPoint, which parses a [value, unixMillis] pair straight out of
// its read buffer.
//
// It exists for speed. Through jsontext every point costs a validating
// ReadValue and then a second parse of the same bytes; here a plain pair
// is validated and parsed in one pass, which halves the time per point
// (bench/README.md). Anything else takes the token path, which validates
// as jsontext does (FuzzScanner compares the two token for token).
type Scanner struct {
	r    io.Reader
	buf  []byte // buf[pos:] is read but not consumed
	pos  int
	base int64 // stream offset of buf[0], for error messages
	rerr error // the reader's error (io.EOF at the end), once it happened
	serr error // the first syntax error; every later call returns it
	keep int   // ReadValue's start in buf, kept across refills; -1 when unused

	stack []byte // the open containers, '{' or '['
	state byte

	maxToken int // LimitToken's bound; 0 for none
}

// Where the scanner is in the grammar.
const (
	stTop   byte = iota // before the top-level value
	stEnd               // after it
	stFirst             // just after '[' or '{': an element or the close
	stElem              // after ',': an element
	stNext              // after an element: ',' or the close
	stColon             // in an object after a name: ':'
	stValue             // in an object after ':': a value
)

// maxDepth bounds nesting, as jsontext does, so recursion over a hostile
// body stays bounded.
const maxDepth = 10000

// minRead is the least free room a read gets; maxPoint bounds how far
// ReadPlainPoint looks for the end of a pair before leaving it to the
// token path.
const (
	minRead  = 32 << 10
	maxPoint = 256
)

// NewScanner returns a scanner reading r. It reads into buf's storage,
// growing it as needed, so a caller can hand back the Buffer of an earlier
// scanner and not allocate one per body.
func NewScanner(r io.Reader, buf []byte) *Scanner {
	return &Scanner{r: r, buf: buf[:0], keep: -1, stack: make([]byte, 0, 8)}
}

// LimitToken bounds the bytes one token, or one ReadValue, may span. The
// read buffer holds a whole token, so without a bound one 60 MB string
// grows it to 60 MB and more; past the bound reads fail with a
// *TokenTooLong instead. It is checked as the buffer refills, so a token
// may pass that is a little longer but already read: callers that need
// the exact bound check what they got.
func (s *Scanner) LimitToken(n int) { s.maxToken = n }

// TokenTooLong is a token, or a value read whole, longer than
// LimitToken allows.
type TokenTooLong struct {
	Limit  int
	Offset int64 // where the token starts in the body
}

func (e *TokenTooLong) Error() string {
	return fmt.Sprintf("at byte %d: a value longer than %d bytes", e.Offset, e.Limit)
}

// Buffer returns the read buffer, for reuse by a later NewScanner once this
// scanner is done with it.
func (s *Scanner) Buffer() []byte { return s.buf[:0] }

// SyntaxError is malformed JSON at an offset of the body.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at byte %d: %s", e.Offset, e.Msg) }

func (s *Scanner) fail(n int, format string, args ...any) error {
	if s.serr == nil {
		s.serr = &SyntaxError{Offset: s.base + int64(s.pos+n), Msg: fmt.Sprintf(format, args...)}
	}
	return s.serr
}

// fill reads more of the body into buf, keeping everything from the
// current token (or ReadValue's start) on. It reports whether bytes came.
func (s *Scanner) fill() bool {
	if s.maxToken > 0 && s.rerr == nil {
		// fill is called only when the token (or ReadValue) being read
		// needs more than the buffer holds from its start.
		start := s.pos
		if s.keep >= 0 {
			start = min(start, s.keep)
		}
		if len(s.buf)-start > s.maxToken {
			s.rerr = &TokenTooLong{Limit: s.maxToken, Offset: s.base + int64(start)}
			return false
		}
	}
	for empty := 0; s.rerr == nil; empty++ {
		if empty == 100 {
			// A reader that keeps returning nothing, and no error, would
			// spin here; bufio gives up the same way.
			s.rerr = io.ErrNoProgress
			break
		}
		if cap(s.buf)-len(s.buf) < minRead {
			lo := s.pos
			if s.keep >= 0 {
				lo = min(lo, s.keep)
			}
			if lo > 0 {
				n := copy(s.buf, s.buf[lo:])
				s.buf = s.buf[:n]
				s.pos -= lo
				if s.keep >= 0 {
					s.keep -= lo
				}
				s.base += int64(lo)
			}
			if cap(s.buf)-len(s.buf) < minRead {
				grown := make([]byte, len(s.buf), 2*cap(s.buf)+minRead)
				copy(grown, s.buf)
				s.buf = grown
			}
		}
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// endErr is the error for a body that ended (or failed) where more JSON
// was due: io.EOF only for an empty body, as jsontext reports it.
func (s *Scanner) endErr() error {
	if s.rerr == io.EOF && s.state == stTop {
		return io.EOF
	}
	return s.truncated()
}

// prep skips whitespace and the separators the grammar expects here, and
// returns the first byte of the next token.
func (s *Scanner) prep() (byte, error) {
	if s.serr != nil {
		return 0, s.serr
	}
	for {
		if s.pos = skipSpace(s.buf, s.pos); s.pos == len(s.buf) {
			if !s.fill() {
				return 0, s.endErr()
			}
			continue
		}
		c := s.buf[s.pos]
		switch s.state {
		case stNext:
			switch {
			case c == ',':
				s.pos++
				s.state = stElem
				continue
			case c == '}' || c == ']':
				// A mismatched close fails in ReadToken; peeking it lets
				// the caller say what it wanted instead.
				return c, nil
			}
			return 0, s.fail(0, "invalid character %q after %s element", c, containerName(s.stack[len(s.stack)-1]))
		case stColon:
			if c == ':' {
				s.pos++
				s.state = stValue
				continue
			}
			return 0, s.fail(0, "invalid character %q after object name (want ':')", c)
		case stEnd:
			return 0, s.fail(0, "invalid character %q after top-level value", c)
		}
		return c, nil
	}
}

// skipSpace returns where the JSON whitespace at b[i:] ends.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// trimSpace cuts the JSON whitespace off the end of b.
func trimSpace(b []byte) []byte {
	end := len(b)
	for end > 0 && (b[end-1] == ' ' || b[end-1] == '\t' || b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	return b[:end]
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

func containerName(open byte) string {
	if open == '{' {
		return "object"
	}
	return "array"
}

// Kind is the kind of a JSON token, as in jsontext: '{', '}', '[', ']',
// '"' (a string), '0' (a number), 'n', 't' or 'f'; 0 is no token.
type Kind byte

// Noun names what a token of kind k starts, for messages such as "want
// an object, got an array"; "" for 0 (no token), whose meaning (the input
// ended, or was not JSON) only the caller knows.
func (k Kind) Noun() string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case ']':
		return "the end of the array"
	case '}':
		return "the end of the object"
	}
	return ""
}

// PeekKind returns the kind of the next token, or 0 when reading it fails;
// the next read then reports why.
func (s *Scanner) PeekKind() Kind {
	c, err := s.prep()
	if err != nil {
		return 0
	}
	switch c {
	case '{', '}', '[', ']', '"', 'n', 't', 'f':
		return Kind(c)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	}
	s.fail(0, "invalid character %q at the start of a value", c)
	return 0
}

// Token is one JSON token; its bytes are valid until the next read, so
// callers keep what they need through String.
type Token struct {
	kind Kind
	raw  []byte // numbers and literals
	str  string // strings, unescaped
}

// Kind is the token's kind.
func (t Token) Kind() Kind { return t.kind }

// Bool is the value of a true or false token.
func (t Token) Bool() bool { return t.kind == 't' }

// String is a string's value, or any other token's JSON text.
func (t Token) String() string {
	switch t.kind {
	case '"':
		return t.str
	case '{', '}', '[', ']':
		return string(rune(t.kind))
	}
	return string(t.raw)
}

func (s *Scanner) afterValue() {
	if len(s.stack) == 0 {
		s.state = stEnd
	} else {
		s.state = stNext
	}
}

func (s *Scanner) wantName() bool {
	return len(s.stack) > 0 && s.stack[len(s.stack)-1] == '{' && (s.state == stFirst || s.state == stElem)
}

// ReadToken reads the next token.
func (s *Scanner) ReadToken() (Token, error) {
	c, err := s.prep()
	if err != nil {
		return Token{}, err
	}
	switch c {
	case '}', ']':
		top := len(s.stack) - 1
		if top < 0 || closer(s.stack[top]) != c || (s.state != stFirst && s.state != stNext) {
			return Token{}, s.fail(0, "unexpected %q", c)
		}
		s.pos++
		s.stack = s.stack[:top]
		s.afterValue()
		return Token{kind: Kind(c)}, nil
	case '"':
		name := s.wantName()
		str, err := s.readString()
		if err != nil {
			return Token{}, err
		}
		if name {
			s.state = stColon
		} else {
			s.afterValue()
		}
		return Token{kind: '"', str: str}, nil
	}
	if s.wantName() {
		return Token{}, s.fail(0, "invalid character %q where an object name is due", c)
	}
	var raw []byte
	var kind Kind
	switch c {
	case '{', '[':
		if len(s.stack) >= maxDepth {
			return Token{}, s.fail(0, "nesting deeper than %d", maxDepth)
		}
		s.pos++
		s.stack = append(s.stack, c)
		s.state = stFirst
		return Token{kind: Kind(c)}, nil
	case 'n':
		raw, err = s.literal("null")
		kind = 'n'
	case 't':
		raw, err = s.literal("true")
		kind = 't'
	case 'f':
		raw, err = s.literal("false")
		kind = 'f'
	default:
		raw, err = s.number()
		kind = '0'
	}
	if err != nil {
		return Token{}, err
	}
	s.afterValue()
	return Token{kind: kind, raw: raw}, nil
}

// at returns buf[pos+n], reading more when needed; ok is false at the end.
func (s *Scanner) at(n int) (byte, bool) {
	for s.pos+n >= len(s.buf) {
		if !s.fill() {
			return 0, false
		}
	}
	return s.buf[s.pos+n], true
}

func (s *Scanner) literal(word string) ([]byte, error) {
	for n := 0; n < len(word); n++ {
		c, ok := s.at(n)
		if !ok {
			return nil, s.truncated()
		}
		if c != word[n] {
			return nil, s.fail(n, "invalid character %q in literal %s", c, word)
		}
	}
	raw := s.buf[s.pos : s.pos+len(word)]
	s.pos += len(word)
	return raw, nil
}

// truncated is the error for a body that ended inside a token.
func (s *Scanner) truncated() error {
	if s.rerr == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return s.rerr
}

// number reads a number by RFC 8259's grammar. Whatever follows it is the
// next token's business, so "1x" fails there, as in jsontext; so does a
// read error right after it.
func (s *Scanner) number() ([]byte, error) {
	n := 0
	if c, _ := s.at(0); c == '-' {
		n++
	}
	// digits moves n past a run of digits and says how many there were.
	digits := func() int {
		count := 0
		for {
			c, ok := s.at(n)
			if !ok || c < '0' || c > '9' {
				return count
			}
			n++
			count++
		}
	}
	first, ok := s.at(n)
	switch {
	case !ok:
		return nil, s.truncated()
	case first == '0':
		n++
	case first >= '1' && first <= '9':
		digits()
	default:
		return nil, s.fail(n, "invalid character %q in number", first)
	}
	if c, ok := s.at(n); ok && c == '.' {
		n++
		if digits() == 0 {
			return nil, s.missingDigit(n)
		}
	}
	if c, ok := s.at(n); ok && (c == 'e' || c == 'E') {
		n++
		if c, ok := s.at(n); ok && (c == '+' || c == '-') {
			n++
		}
		if digits() == 0 {
			return nil, s.missingDigit(n)
		}
	}
	raw := s.buf[s.pos : s.pos+n]
	s.pos += n
	return raw, nil
}

// missingDigit is the error for a number that needs a digit at n.
func (s *Scanner) missingDigit(n int) error {
	c, ok := s.at(n)
	if !ok {
		return s.truncated()
	}
	return s.fail(n, "invalid character %q in number (want a digit)", c)
}

// ReadValue reads the next whole value and returns its JSON text, valid
// until the next read.
func (s *Scanner) ReadValue() ([]byte, error) {
	if _, err := s.prep(); err != nil {
		return nil, err
	}
	s.keep = s.pos
	defer func() { s.keep = -1 }()
	if err := s.SkipValue(); err != nil {
		return nil, err
	}
	return s.buf[s.keep:s.pos], nil
}

// SkipValue reads past the next value.
func (s *Scanner) SkipValue() error {
	depth := len(s.stack)
	for {
		if _, err := s.ReadToken(); err != nil {
			return err
		}
		if len(s.stack) <= depth {
			return nil
		}
	}
}

// ReadPlainPoint reads the next array element if it is a plain pair of
// numbers, [value, unixMillis], validating and parsing it in one pass; the
// time comes back as epoch nanoseconds. ok is false, with nothing consumed,
// for anything else: the caller then reads the element through ReadValue,
// which validates it and reports errors, and parses it with ParsePoint.
func (s *Scanner) ReadPlainPoint() (v float64, nanos int64, ok bool) {
	if _, err := s.prep(); err != nil || s.buf[s.pos] != '[' ||
		(s.state != stFirst && s.state != stElem) || s.stack[len(s.stack)-1] != '[' {
		return 0, 0, false
	}
	for {
		window := s.buf[s.pos:min(len(s.buf), s.pos+maxPoint)]
		if end := bytes.IndexByte(window, ']'); end >= 0 {
			v, nanos, ok = parsePointFast(window[:end+1])
			if ok {
				s.pos += end + 1
				s.state = stNext
			}
			return v, nanos, ok
		}
		if len(window) == maxPoint || !s.fill() {
			return 0, 0, false
		}
	}
}

// ReadNumber reads the next value, which the caller peeked to be a number,
// and parses it. A number that lies whole in the read buffer is validated
// and parsed in one pass, as ReadPlainPoint does for pairs (table cells
// are mostly numbers too); anything else goes through ReadValue and
// ParseNumber, with their errors.
func (s *Scanner) ReadNumber() (float64, error) {
	c, err := s.prep()
	if err != nil {
		return 0, err
	}
	if (c == '-' || (c >= '0' && c <= '9')) && !s.wantName() {
		// end < len(buf): the number's end was seen, not just the buffer's.
		if v, end, ok := scanNumber(s.buf, s.pos); ok && end < len(s.buf) {
			s.pos = end
			s.afterValue()
			return v, nil
		}
	}
	raw, err := s.ReadValue()
	if err != nil {
		return 0, err
	}
	return ParseNumber(raw)
}
