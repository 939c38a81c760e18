package jsonscan

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// A point is a JSON array [value, unixMillis]: value a number, a numeric
// string or null, unixMillis epoch milliseconds. Both parsers here return
// the time as epoch nanoseconds, which is what time.Unix takes.

// maxMillis keeps timestamps inside what time.Time and int64 nanoseconds
// can hold (years 1678 to 2262).
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// MillisToNanos converts epoch milliseconds to epoch nanoseconds, with an
// error for times int64 nanoseconds cannot hold.
func MillisToNanos(ms float64) (int64, error) {
	if math.IsNaN(ms) || ms > float64(maxMillis) || ms < -float64(maxMillis) {
		return 0, fmt.Errorf("%v is not epoch milliseconds between the years 1678 and 2262", ms)
	}
	whole := math.Trunc(ms)
	return int64(whole)*int64(time.Millisecond) + int64((ms-whole)*float64(time.Millisecond)), nil
}

// ParsePoint parses a validated JSON array [value, unixMillis, ...] of any
// shape and explains what is wrong with one that is not a point. valid is
// false for a null value. Extra elements are not part of a point and are
// ignored.
func ParsePoint(raw []byte) (v float64, valid bool, nanos int64, err error) {
	rest := raw[1:] // after '['
	valRaw, rest := nextElem(rest)
	if valRaw == nil {
		return 0, false, 0, errors.New("want [value, unixMillis], got an empty array")
	}
	v, valid, err = scalarNumber(valRaw)
	if err != nil {
		return 0, false, 0, fmt.Errorf("value: %w", err)
	}
	tsRaw, _ := nextElem(rest)
	if tsRaw == nil {
		return 0, false, 0, errors.New("want [value, unixMillis], the timestamp is missing")
	}
	ms, msValid, err := scalarNumber(tsRaw)
	if err == nil && !msValid {
		err = errors.New("want epoch milliseconds, got null")
	}
	if err == nil {
		nanos, err = MillisToNanos(ms)
	}
	if err != nil {
		return 0, false, 0, fmt.Errorf("timestamp: %w", err)
	}
	return v, valid, nanos, nil
}

// nextElem returns the next element of a validated JSON array and what
// follows it, or nil at the array's end.
func nextElem(b []byte) (elem, rest []byte) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] == ']' {
		return nil, nil
	}
	start, depth, inString := i, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			if depth == 0 {
				return trimSpace(b[start:i]), b[i:]
			}
			depth--
		case c == ',' && depth == 0:
			return trimSpace(b[start:i]), b[i+1:]
		}
	}
	return trimSpace(b[start:]), nil
}

// scalarNumber reads one validated JSON value as a number: a number, a
// numeric string ("1.5", "NaN", "Infinity") or null (valid is false).
func scalarNumber(b []byte) (float64, bool, error) {
	switch b[0] {
	case 'n':
		return 0, false, nil
	case '"':
		s, err := jsontext.AppendUnquote(nil, b)
		if err != nil {
			return 0, false, err
		}
		v, err := ParseNumericString(string(s))
		return v, err == nil, err
	case 't', 'f':
		return 0, false, errors.New("want a number, got a boolean")
	case '[':
		return 0, false, errors.New("want a number, got an array")
	case '{':
		return 0, false, errors.New("want a number, got an object")
	}
	v, err := ParseNumber(b)
	return v, err == nil, err
}

// scanMillis reads epoch milliseconds at b[i] as nanoseconds. Whole
// milliseconds, by far the most common, stay integers throughout; the
// rest go through scanNumber and MillisToNanos, as ParsePoint does.
func scanMillis(b []byte, i int) (nanos int64, end int, ok bool) {
	start := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var ms int64
	digitStart := i
	for ; i < len(b) && i-digitStart < 14; i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		ms = ms*10 + int64(c)
	}
	whole := i > digitStart && (i-digitStart == 1 || b[digitStart] != '0') &&
		(i >= len(b) || (b[i] != '.' && b[i] != 'e' && b[i] != 'E' && (b[i] < '0' || b[i] > '9')))
	if whole && ms <= maxMillis {
		if neg {
			ms = -ms
		}
		return ms * int64(time.Millisecond), i, true
	}
	v, end, ok := scanNumber(b, start)
	if !ok {
		return 0, end, false
	}
	nanos, err := MillisToNanos(v)
	return nanos, end, err == nil
}

// parsePointFast reads the common point shape, [number, number], in one
// pass; ok is false for any other shape, which ParsePoint handles.
func parsePointFast(raw []byte) (v float64, nanos int64, ok bool) {
	v, i, ok := scanNumber(raw, skipSpace(raw, 1))
	if !ok {
		return 0, 0, false
	}
	if i = skipSpace(raw, i); i >= len(raw) || raw[i] != ',' {
		return 0, 0, false
	}
	nanos, i, ok = scanMillis(raw, skipSpace(raw, i+1))
	if !ok || skipSpace(raw, i) != len(raw)-1 {
		return 0, 0, false
	}
	return v, nanos, true
}
