package frames

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// FuzzDecode: any body a service sends decodes to frames or to an error,
// never a panic, and decoded series always come out sorted and typed.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		``, `null`, `[]`, `ok`, `<html>`, `{"a":1}`,
		`[{"target":"a","datapoints":[[1,1000],[null,999],["2","3000"],["NaN",4000.5]],"tags":{"k":"v"}}]`,
		`[{"type":"table","columns":[{"text":"t","type":"time"},{"text":"v"}],"rows":[[1000,1],["2020-01-01T00:00:00Z",null]]}]`,
		`[{"columns":["a"],"rows":[[1,2],[]]}]`,
		`[{"name":"f","fields":[{"name":"time","type":"time","values":[1,2]},{"name":"v","values":[1,null],"labels":{"a":"b"}}]}]`,
		`[{"target":"a","datapoints":[[1,1e300]]}]`,
		`[{"target":"a","datapoints":[[1,10`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := Decode(bytes.NewReader(body), 16)
		// The same body arriving a few bytes at a time decodes the same.
		b, errChunked := Decode(&chunkReader{b: body, n: 3}, 16)
		if (err == nil) != (errChunked == nil) {
			t.Fatalf("whole body: %v; in chunks: %v", err, errChunked)
		}
		if err != nil {
			return
		}
		if a.Points != b.Points || len(a.Series) != len(b.Series) || len(a.Tables) != len(b.Tables) {
			t.Fatalf("whole body: %d points, %d series, %d tables; in chunks: %d, %d, %d",
				a.Points, len(a.Series), len(a.Tables), b.Points, len(b.Series), len(b.Tables))
		}
		for _, s := range a.Series {
			if s.Time.Len() != s.Value.Len() || s.Time.Type() != data.FieldTypeTime ||
				(s.Value.Type() != data.FieldTypeNullableFloat64 && s.Value.Type() != data.FieldTypeFloat64) {
				t.Fatalf("malformed series %q", s.Name)
			}
			for i := 1; i < s.Time.Len(); i++ {
				if s.Time.At(i).(interface{ UnixNano() int64 }).UnixNano() < s.Time.At(i-1).(interface{ UnixNano() int64 }).UnixNano() {
					t.Fatalf("series %q not sorted", s.Name)
				}
			}
		}
		frames, err := a.Frames(Options{ForAlerting: len(a.Tables) == 0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := frames.MarshalArrow(); err != nil {
			t.Fatalf("frames do not encode: %v", err)
		}
	})
}

// FuzzParseNumber: the fast decimal path agrees with strconv bit for bit.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.5", "123456789012345", "0.1", "-99.999", "1700000000000", "3.14159265358979", "1e5", "12345678901234567", "9007199254740993", "9007199254740992", "2.1929999999999996", "0.1000000000000000055511151231257827", "1.7976931348623157e308", "1e400", "-1E-400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := strconv.ParseFloat(s, 64)
		got, ok := parseSimpleDecimal([]byte(s))
		if !ok {
			return
		}
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			// The fast path accepts only digits and one dot, which
			// strconv accepts too, except a lone "." handled below.
			if s != "." && s != "-." {
				t.Fatalf("fast path accepted %q, which strconv rejects: %v", s, err)
			}
			return
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseSimpleDecimal(%q) = %v, strconv says %v", s, got, want)
		}
	})
}

// FuzzParsePoint: the one-pass point parser agrees with the general one
// whenever it accepts a point.
func FuzzParsePoint(f *testing.F) {
	for _, s := range []string{`[1,1000]`, `[ -1.5 , 1700000000000 ]`, `[null,1]`, `["2",3]`, `[1e3,1]`, `[0.000000000000001,5.5]`, `[1,2,3]`, `[2.1929999999999996,1700000000000]`, `[9007199254740993,1]`, `[1.5e-7,9223372036854]`, `[1,9223372036855]`, `[1,-0]`, `[-0.0,12345678901234]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) < 2 || raw[0] != '[' || !jsontext.Value(raw).IsValid() {
			return
		}
		v, ns, ok := parsePointFast(raw)
		if !ok {
			return
		}
		wv, wok, wns, err := parsePoint(raw)
		if err != nil || !wok || wns != ns || math.Float64bits(wv) != math.Float64bits(v) {
			t.Fatalf("%s: fast (%v, %d), general (%v, %v, %d, %v)", raw, v, ns, wv, wok, wns, err)
		}
	})
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

// FuzzScanner: the scanner reads one top-level value token for token as
// jsontext does (same kinds, same text, an error exactly where jsontext
// has one, truncation told apart from malformed JSON), and its one-pass
// point parse accepts only pairs jsontext accepts, with the general
// parser's result.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		``, ` `, `null`, `[]`, `{}`, `[1,2]`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[01]`, `[-]`, `[1.]`, `[1e]`, `[1e+5]`,
		`["a\u00e9\ud83d\ude00\n"]`, `["\ud800"]`, `["\x"]`, "[\"\x01\"]", `[tru]`, `[true,false,null]`, `[nul`, `[1,2`, `"abc`,
		`[{"target":"a","datapoints":[[1,1000],[2.5, 2000] ,[ 3 , 3000 ],[01,5],[1,02],["1",1],[1,[2]],[1,2,3]]}]`,
		`[[1,1700000000000],[-0,1e3],[1.5E+2,17e11],[1,1]x]`, `[[1,1] [2,2]]`, `[{"a":[1,{"b":"]"}]}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		jd := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
		sc := newScanner(&chunkReader{b: body, n: len(body)%7 + 1}, nil)
		compareText := utf8.Valid(body)
		for step := 0; ; step++ {
			jk, sk := jd.PeekKind(), sc.PeekKind()
			if jk != 0 && sk != 0 && jk != sk {
				t.Fatalf("step %d: peek %q, jsontext %q", step, sk, jk)
			}
			switch {
			case jk == '[' && step%2 == 1:
				// Inside an array, try the one-pass pair parse.
				if v, ns, ok := sc.point(); ok {
					raw, err := jd.ReadValue()
					if err != nil {
						t.Fatalf("step %d: point accepted what jsontext rejects: %v", step, err)
					}
					wv, wok, wns, werr := parsePoint(raw)
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
				if jt.Kind() != st.Kind() || (compareText && jt.String() != st.String()) {
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
