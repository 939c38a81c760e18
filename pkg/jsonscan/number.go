package jsonscan

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// ParseNumber parses a JSON number, such as ReadValue returns, exactly as
// strconv would (see scanNumber). A number beyond float64's range, such as
// 1e400, is ±Inf (and one too small, 0), as in JavaScript: the frontends
// of these dialects read it so, and a server that sends one should not
// fail the whole query here when it worked there.
func ParseNumber(raw []byte) (float64, error) {
	if v, ok := parseSimpleDecimal(raw); ok {
		return v, nil
	}
	// raw lives in the scanner's buffer only until the next read, and
	// ParseFloat does not keep its argument unless it fails.
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return v, fmt.Errorf("%s is not a number", QuoteShort(strings.Clone(string(raw))))
	}
	return v, nil
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func parseSimpleDecimal(raw []byte) (float64, bool) {
	v, end, ok := scanNumber(raw, 0)
	return v, ok && end == len(raw)
}

// scanNumber reads the number that starts at b[i] and returns where it
// stopped. Plain decimals whose digits form an integer up to 2^53 are
// converted from their digits; others and exponents go to strconv on the
// same bytes, without copying them. ok is false for anything that is not
// a number.
func scanNumber(b []byte, i int) (v float64, end int, ok bool) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	intStart := i
	i, mant := readDigits(b, i, 0)
	intDigits, frac := i-intStart, 0
	if intDigits == 0 || (intDigits > 1 && b[intStart] == '0') {
		// Not a JSON number; a leading zero is not allowed either.
		return 0, i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		fracStart := i
		i, mant = readDigits(b, i, mant)
		if frac = i - fracStart; frac == 0 {
			return 0, i, false
		}
	}
	// Clinger's fast path: an integer mantissa up to 2^53 is exact as a
	// float64, and so is 10^frac up to 10^22, so one division is correctly
	// rounded, as strconv's result is. 19 digits cannot overflow uint64.
	simple := intDigits+frac <= 19 && mant <= 1<<53 && frac <= 22
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		expStart := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == expStart {
			return 0, i, false
		}
		simple = false
	}
	if !simple {
		// Out of range is ±Inf or 0, as ParseNumber explains.
		v, err := strconv.ParseFloat(unsafe.String(&b[start], i-start), 64)
		return v, i, err == nil || errors.Is(err, strconv.ErrRange)
	}
	v = float64(mant)
	if frac > 0 {
		v /= pow10[frac]
	}
	if b[start] == '-' {
		v = -v
	}
	return v, i, true
}

// readDigits appends the decimal digits at b[i:] to mant and returns where
// they end. Past 19 digits mant overflows; callers check the count.
func readDigits(b []byte, i int, mant uint64) (int, uint64) {
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
	}
	return i, mant
}

// ParseNumericString parses a number that arrived as a JSON string, as
// many services send them: what strconv reads, with spaces around it, and
// the usual spellings of NaN and infinity, which JSON numbers cannot hold.
func ParseNumericString(s string) (float64, error) {
	switch strings.TrimSpace(s) {
	case "NaN", "nan":
		return math.NaN(), nil
	case "Infinity", "+Infinity", "Inf", "+Inf", "inf":
		return math.Inf(1), nil
	case "-Infinity", "-Inf", "-inf":
		return math.Inf(-1), nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("want a number, got the string %s", QuoteShort(s))
	}
	return v, nil
}

// QuoteShort quotes s for an error message, cut to its first 40 bytes so
// that one huge value does not swamp the message.
func QuoteShort(s string) string {
	const n = 40
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strconv.Quote(s)
}
