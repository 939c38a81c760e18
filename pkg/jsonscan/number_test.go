package jsonscan

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

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
