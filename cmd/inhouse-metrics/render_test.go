package main

import "testing"

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
