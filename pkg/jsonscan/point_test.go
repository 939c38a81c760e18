package jsonscan

import (
	"math"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzParsePoint: the one-pass point parser (parsePointFast) agrees with
// the general one (ParsePoint) whenever it accepts a point.
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
		wv, wok, wns, err := ParsePoint(raw)
		if err != nil || !wok || wns != ns || math.Float64bits(wv) != math.Float64bits(v) {
			t.Fatalf("%s: fast (%v, %d), general (%v, %v, %d, %v)", raw, v, ns, wv, wok, wns, err)
		}
	})
}
