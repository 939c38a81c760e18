package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	forms := "now-6h, now-1w, now/d, now-1d/d, 2026-11-28, 2026-11-28T10:00:00Z or 1700000000000"
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "now", want: now},
		{in: "now-6h", want: now.Add(-6 * time.Hour)},
		{in: "now-7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "now-90s", want: now.Add(-90 * time.Second)},
		{in: "now+1h", want: now.Add(time.Hour)},
		// Grafana's time picker forms (2026-11-24 is a Tuesday).
		{in: "now-1w", want: now.AddDate(0, 0, -7)},
		{in: "now-1M", want: time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC)},
		{in: "now-1y", want: time.Date(2025, 11, 24, 12, 0, 0, 0, time.UTC)},
		{in: "now/d", want: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{in: "now-1d/d", want: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{in: "now/w", want: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{in: "now/M", want: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{in: "now/y", want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: "now/d+8h", want: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)},
		{in: "now-2h/h", want: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)},
		{in: "now/x", wantErr: "round with /s, /m, /h, /d, /w, /M or /y"},
		{in: "now-1w/q", wantErr: forms},
		{in: "2026-01-02T03:04:05Z", want: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{in: "2026-01-02T03:04:05+02:00", want: time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC)},
		{in: "2026-01-02T03:04:05.250Z", want: time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC)},
		{in: "1700000000000", want: time.UnixMilli(1700000000000)},
		// Date-only is UTC midnight; it used to be read as 2026 epoch
		// milliseconds, in January 1970.
		{in: "2026-11-28", want: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)},
		{in: " 2026-11-28 ", want: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)},
		{in: "now-soon", wantErr: `"soon" is not a duration like 30m, 6h or 7d`},
		{in: "now-7d3h", wantErr: "not a duration"},
		{in: "now--6h", wantErr: "not a duration"},
		{in: "now-", wantErr: "not a duration"},
		{in: "yesterday", wantErr: forms},
		{in: "", wantErr: forms},
		// Looks like a date but is not one: no silent fallback to epoch.
		{in: "2026-13-01", wantErr: forms},
		{in: "2026-02-30", wantErr: forms},
		{in: "28/11/2026", wantErr: forms},
		// Which zone? Ambiguous, so refused rather than guessed.
		{in: "2026-11-28T10:00:00", wantErr: "time zone"},
		{in: "2026-11-28 10:00", wantErr: forms},
		// Numbers that are not 13-digit epoch milliseconds are more likely
		// epoch seconds or a date without dashes than a time in 1970.
		{in: "1700000000", wantErr: "epoch seconds"},
		{in: "20261128", wantErr: "13 digits"},
		{in: "0", wantErr: "13 digits"},
		{in: "-1700000000000", wantErr: "13 digits"},
		{in: "1700000000000abc", wantErr: forms},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseTime(%q) = %v, error %v; want an error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRange(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		from, to string
		wantErr  []string
	}{
		{from: "now-6h", to: "now"},
		{from: "2026-11-20", to: "2026-11-21"},
		{from: "2026-11-20", to: "now"},
		{from: "now", to: "now-1h", wantErr: []string{"--from", "after", "--to"}},
		{from: "2026-11-21", to: "2026-11-20", wantErr: []string{"--from 2026-11-21", "--to 2026-11-20", "swap"}},
		{from: "now", to: "now", wantErr: []string{"empty"}},
		{from: "2026-11-28", to: "x", wantErr: []string{"--to", `"x"`}},
		{from: "x", to: "now", wantErr: []string{"--from", `"x"`}},
	}
	for _, tt := range tests {
		tr, err := parseRange(tt.from, tt.to, now)
		if len(tt.wantErr) == 0 {
			if err != nil || !tr.From.Before(tr.To) {
				t.Errorf("parseRange(%q, %q) = %v, %v; want a range", tt.from, tt.to, tr, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("parseRange(%q, %q) = %v; want an error", tt.from, tt.to, tr)
			continue
		}
		for _, w := range tt.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("parseRange(%q, %q) error %q does not contain %q", tt.from, tt.to, err, w)
			}
		}
	}
}

// TestParseRangeRounds checks the time picker's quick ranges: rounding in
// --to goes to the end of the unit, so "now-1d/d" to "now-1d/d" is all of
// yesterday, as Grafana's "Yesterday".
func TestParseRangeRounds(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		from, to     string
		wantF, wantT time.Time
	}{
		{"now-1d/d", "now-1d/d", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 23, 59, 59, 999e6, time.UTC)},
		{"now/d", "now/d", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 24, 23, 59, 59, 999e6, time.UTC)},
		{"now/w", "now", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), now},
	} {
		tr, err := parseRange(tt.from, tt.to, now)
		if err != nil || !tr.From.Equal(tt.wantF) || !tr.To.Equal(tt.wantT) {
			t.Errorf("parseRange(%q, %q) = %v..%v, %v; want %v..%v", tt.from, tt.to, tr.From, tr.To, err, tt.wantF, tt.wantT)
		}
	}
}
