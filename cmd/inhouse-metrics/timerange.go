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
const timeForms = "now, now-6h, 2026-11-28, 2026-11-28T10:00:00Z or 1700000000000 (relative to now with s, m, h or d; a UTC date; RFC3339; epoch milliseconds)"

// epochMillisDigits is how many digits epoch milliseconds have from 2001
// to 2286. Other numbers are more likely epoch seconds or a date without
// dashes than a time in 1970, so they are refused rather than guessed.
const epochMillisDigits = 13

func parseRange(from, to string, now time.Time) (backend.TimeRange, error) {
	f, err := parseTime(from, now)
	if err != nil {
		return backend.TimeRange{}, fmt.Errorf("--from: %w", err)
	}
	t, err := parseTime(to, now)
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

func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-") || strings.HasPrefix(s, "now+"):
		d, err := parseDuration(s[len("now-"):])
		if err != nil {
			return time.Time{}, err
		}
		if s[len("now")] == '-' {
			d = -d
		}
		return now.Add(d), nil
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
