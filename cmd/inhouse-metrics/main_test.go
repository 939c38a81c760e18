package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "now", want: now},
		{in: "now-6h", want: now.Add(-6 * time.Hour)},
		{in: "now-7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "2026-01-02T03:04:05Z", want: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{in: "1700000000000", want: time.UnixMilli(1700000000000)},
		{in: "now-soon", wantErr: "not a duration"},
		{in: "yesterday", wantErr: "not RFC3339"},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseTime(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		vals  []float64
		width int
		want  string
	}{
		{nil, 10, ""},
		{[]float64{1, 1, 1}, 10, "▁▁▁"},
		{[]float64{0, 7}, 10, "▁█"},
		{[]float64{0, 0, 7, 7}, 2, "▁█"},
	}
	for _, tt := range tests {
		if got := sparkline(tt.vals, tt.width); got != tt.want {
			t.Errorf("sparkline(%v, %d) = %q, want %q", tt.vals, tt.width, got, tt.want)
		}
	}
}
