package frames

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"testing"

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
		if err != nil {
			return
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
