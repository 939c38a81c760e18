package jsonscan

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzScanner: the scanner reads one top-level value token for token as
// jsontext does (same kinds, same text, an error exactly where jsontext
// has one, truncation told apart from malformed JSON), and its one-pass
// point and number parses accept only what jsontext accepts, with the
// general parser's result.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		``, ` `, `null`, `[]`, `{}`, `[1,2]`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[01]`, `[-]`, `[1.]`, `[1e]`, `[1e+5]`,
		`["a\u00e9\ud83d\ude00\n"]`, `["\ud800"]`, `["\x"]`, "[\"\x01\"]", `[tru]`, `[true,false,null]`, `[nul`, `[1,2`, `"abc`,
		`[{"target":"a","datapoints":[[1,1000],[2.5, 2000] ,[ 3 , 3000 ],[01,5],[1,02],["1",1],[1,[2]],[1,2,3]]}]`,
		`[[1,1700000000000],[-0,1e3],[1.5E+2,17e11],[1,1]x]`, `[[1,1] [2,2]]`, `[{"a":[1,{"b":"]"}]}]`,
		`[1,-0.5,1e999,12345678901234567890,1x]`, `{"a":-1.5e3}`, `[0]`, `7`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		jd := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
		sc := NewScanner(&chunkReader{b: body, n: len(body)%7 + 1}, nil)
		compareText := utf8.Valid(body)
		for step := 0; ; step++ {
			jk, sk := jd.PeekKind(), sc.PeekKind()
			if jk != 0 && sk != 0 && Kind(jk) != sk {
				t.Fatalf("step %d: peek %q, jsontext %q", step, sk, jk)
			}
			switch {
			case jk == '0' && step%2 == 0:
				// The one-pass number parse: what ReadValue and ParseNumber
				// would say, value or error.
				v, serr := sc.ReadNumber()
				jraw, jerr := jd.ReadValue()
				if jerr != nil {
					sameErrors(t, step, jerr, serr)
					return
				}
				wv, werr := ParseNumber(jraw)
				if (werr == nil) != (serr == nil) || math.Float64bits(wv) != math.Float64bits(v) {
					t.Fatalf("step %d: number %v %v, ParseNumber(%q) %v %v", step, v, serr, jraw, wv, werr)
				}
				if serr != nil {
					return
				}
			case jk == '[' && step%2 == 1:
				// Inside an array, try the one-pass pair parse.
				if v, ns, ok := sc.ReadPlainPoint(); ok {
					raw, err := jd.ReadValue()
					if err != nil {
						t.Fatalf("step %d: point accepted what jsontext rejects: %v", step, err)
					}
					wv, wok, wns, werr := ParsePoint(raw)
					if werr != nil || !wok || wns != ns || math.Float64bits(wv) != math.Float64bits(v) {
						t.Fatalf("step %d: point %v %d, general parser %v %d %v", step, v, ns, wv, wns, werr)
					}
					break
				}
				fallthrough
			case (jk == '[' || jk == '{') && step%3 == 2:
				jraw, jerr := jd.ReadValue()
				sraw, serr := sc.ReadValue()
				sameErrors(t, step, jerr, serr)
				if jerr != nil {
					return
				}
				if !bytes.Equal(jraw, sraw) {
					t.Fatalf("step %d: value %q, jsontext %q", step, sraw, jraw)
				}
			default:
				jt, jerr := jd.ReadToken()
				st, serr := sc.ReadToken()
				sameErrors(t, step, jerr, serr)
				if jerr != nil {
					return
				}
				if Kind(jt.Kind()) != st.Kind() || (compareText && jt.String() != st.String()) {
					t.Fatalf("step %d: token %q %q, jsontext %q %q", step, st.Kind(), st.String(), jt.Kind(), jt.String())
				}
			}
			if jd.StackDepth() == 0 {
				return // one top-level value, as Decode reads
			}
		}
	})
}

func sameErrors(t *testing.T, step int, jerr, serr error) {
	t.Helper()
	if (jerr == nil) != (serr == nil) {
		t.Fatalf("step %d: error %v, jsontext %v", step, serr, jerr)
	}
	if jerr == nil {
		return
	}
	// A body that ends inside a value is truncated for both. jsontext may
	// also say "unexpected EOF" where the bytes so far are already wrong
	// (" {[" waits for more before judging "["): the scanner calls that
	// malformed, which is the better message.
	if errors.Is(jerr, io.EOF) != errors.Is(serr, io.EOF) ||
		(errors.Is(serr, io.ErrUnexpectedEOF) && !errors.Is(jerr, io.ErrUnexpectedEOF)) {
		t.Fatalf("step %d: error %v, jsontext %v", step, serr, jerr)
	}
}

// chunkReader hands out its bytes a few at a time, so tokens straddle the
// scanner's refills.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestLimitToken: a token, or a value read whole, longer than the bound
// fails with *TokenTooLong once the buffer would have to grow past it,
// so an endless string is refused without being held.
func TestLimitToken(t *testing.T) {
	endlessString := io.MultiReader(strings.NewReader(`["`), endlessReader('x'))
	tests := []struct {
		name  string
		body  io.Reader
		value bool // ReadValue rather than ReadToken
		long  bool
	}{
		{"a short string", strings.NewReader(`["abc"]`), false, false},
		{"an endless string", endlessString, false, true},
		{"a long string", strings.NewReader(`["` + strings.Repeat("x", 1<<20) + `"]`), false, true},
		{"a long value read whole", strings.NewReader(`[[` + strings.Repeat(`1,`, 1<<19) + `1]]`), true, true},
		{"a long array read token by token", strings.NewReader(`[[` + strings.Repeat(`1,`, 1<<19) + `1]]`), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner(tt.body, nil)
			s.LimitToken(64 << 10)
			if _, err := s.ReadToken(); err != nil {
				t.Fatal(err)
			}
			var err error
			if tt.value {
				_, err = s.ReadValue()
			} else {
				for err == nil && s.PeekKind() != ']' {
					_, err = s.ReadToken()
				}
			}
			var long *TokenTooLong
			if errors.As(err, &long) != tt.long {
				t.Fatalf("error %v, want too long: %v", err, tt.long)
			}
			if cap(s.buf) > 1<<20 {
				t.Errorf("the buffer grew to %d bytes", cap(s.buf))
			}
		})
	}
}

type endlessReader byte

func (e endlessReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

func TestKindNoun(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{`{}`, "an object"},
		{`[]`, "an array"},
		{`"a"`, "a string"},
		{`-1.5`, "a number"},
		{`true`, "a boolean"},
		{`null`, "null"},
		{``, ""},
	}
	for _, tt := range tests {
		s := NewScanner(strings.NewReader(tt.body), nil)
		if got := s.PeekKind().Noun(); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.body, got, tt.want)
		}
	}
}
