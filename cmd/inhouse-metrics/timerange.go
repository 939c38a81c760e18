package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// timeForms is what --from and --to accept, as their help and errors say.
const timeForms = "now, now-6h, now-1w, now/d, now-1d/d, 2026-11-28, 2026-11-28T10:00:00Z or 1700000000000 (relative to now with s, m, h, d, w, M or y, and /unit to round, in UTC, as Grafana's time picker; a UTC date; RFC3339; epoch milliseconds)"

// epochMillisDigits is how many digits epoch milliseconds have from 2001
// to 2286. Other numbers are more likely epoch seconds or a date without
// dashes than a time in 1970, so they are refused rather than guessed.
const epochMillisDigits = 13

func parseRange(from, to string, now time.Time) (backend.TimeRange, error) {
	f, err := parseTimeAt(from, now, false)
	if err != nil {
		return backend.TimeRange{}, fmt.Errorf("--from: %w", err)
	}
	t, err := parseTimeAt(to, now, true)
	if err != nil {
		return backend.TimeRange{}, fmt.Errorf("--to: %w", err)
	}
	switch {
	case f.After(t):
		return backend.TimeRange{}, fmt.Errorf("--from %s (%s) is after --to %s (%s): swap them", from, utc(f), to, utc(t))
	case f.Equal(t):
		return backend.TimeRange{}, fmt.Errorf("--from %s and --to %s are the same time (%s), so the range is empty: make --from earlier", from, to, utc(f))
	}
	return backend.TimeRange{From: f, To: t}, nil
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func parseTime(s string, now time.Time) (time.Time, error) { return parseTimeAt(s, now, false) }

// parseTimeAt reads a time; roundUp is for the end of a range, where
// Grafana rounds now/d to the end of the day, as the time picker does.
func parseTimeAt(s string, now time.Time, roundUp bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-") || strings.HasPrefix(s, "now+"):
		if d, err := parseDuration(s[len("now-"):]); err == nil {
			if s[len("now")] == '-' {
				d = -d
			}
			return now.Add(d), nil
		} else if t, ok := dateMath(s[len("now"):], now, roundUp); ok {
			return t, nil
		} else if !strings.Contains(s, "/") {
			return time.Time{}, err
		}
		return time.Time{}, fmt.Errorf("%q is not a time: write it like %s", s, timeForms)
	case strings.HasPrefix(s, "now/"):
		if t, ok := dateMath(s[len("now"):], now, roundUp); ok {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%q is not a time: round with /s, /m, /h, /d, /w, /M or /y, like now/d", s)
	}
	if digits := strings.TrimPrefix(s, "-"); digits != "" && strings.Trim(digits, "0123456789") == "" {
		return parseEpochMillis(s)
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if _, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return time.Time{}, fmt.Errorf("%q has no time zone: add Z for UTC (%sZ) or an offset such as +01:00", s, s)
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write it like %s", s, timeForms)
}

func parseEpochMillis(s string) (time.Time, error) {
	ms, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err == nil && len(s) == epochMillisDigits:
		return time.UnixMilli(ms), nil
	case len(s) == 10:
		return time.Time{}, fmt.Errorf("%q looks like epoch seconds: give epoch milliseconds (%d digits: %s000) or a time like %s", s, epochMillisDigits, s, timeForms)
	}
	return time.Time{}, fmt.Errorf("%q is ambiguous: epoch milliseconds have %d digits (1700000000000) and dates have dashes (2026-11-28); write it like %s", s, epochMillisDigits, timeForms)
}

// parseDuration accepts Go durations plus whole days ("7d"), never signed:
// the sign is in now-/now+.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration like 30m, 6h or 7d", s)
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, bad
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > math.MaxInt64/int64(24*time.Hour) {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, bad
	}
	return d, nil
}

// dateMath applies Grafana's relative time operations after "now": +N
// or -N and a unit (s, m, h, d, w, M, y), and /unit to round down (or,
// with roundUp, to the last millisecond of the unit), in UTC, with weeks
// starting on Monday.
func dateMath(expr string, now time.Time, roundUp bool) (time.Time, bool) {
	t := now.UTC()
	for i := 0; i < len(expr); {
		op := expr[i]
		i++
		if op == '/' {
			if i >= len(expr) || !strings.ContainsRune("smhdwMy", rune(expr[i])) {
				return t, false
			}
			t = roundTo(t, expr[i], roundUp)
			i++
			continue
		}
		if op != '+' && op != '-' {
			return t, false
		}
		j := i
		for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
			j++
		}
		if j == i || j >= len(expr) {
			return t, false
		}
		n, err := strconv.Atoi(expr[i:j])
		if err != nil {
			return t, false
		}
		if op == '-' {
			n = -n
		}
		switch expr[j] {
		case 's':
			t = t.Add(time.Duration(n) * time.Second)
		case 'm':
			t = t.Add(time.Duration(n) * time.Minute)
		case 'h':
			t = t.Add(time.Duration(n) * time.Hour)
		case 'd':
			t = t.AddDate(0, 0, n)
		case 'w':
			t = t.AddDate(0, 0, 7*n)
		case 'M':
			t = t.AddDate(0, n, 0)
		case 'y':
			t = t.AddDate(n, 0, 0)
		default:
			return t, false
		}
		i = j + 1
	}
	return t, true
}

// roundTo rounds a UTC time down to the start of a unit, or up to its
// last millisecond.
func roundTo(t time.Time, unit byte, up bool) time.Time {
	y, mo, d := t.Date()
	var start, next time.Time
	switch unit {
	case 's', 'm', 'h':
		step := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour}[unit]
		start = t.Truncate(step)
		next = start.Add(step)
	case 'd':
		start = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		next = start.AddDate(0, 0, 1)
	case 'w':
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(y, mo, d-back, 0, 0, 0, 0, time.UTC)
		next = start.AddDate(0, 0, 7)
	case 'M':
		start = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
		next = start.AddDate(0, 1, 0)
	case 'y':
		start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		next = start.AddDate(1, 0, 0)
	}
	if up {
		return next.Add(-time.Millisecond)
	}
	return start
}
