package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

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

func TestPrintTableTimes(t *testing.T) {
	base := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		frame *data.Frame
		want  []string
		not   []string
	}{
		{"seconds, no empty name", data.NewFrame("", data.NewField("time", nil, []time.Time{base, base.Add(time.Second)})),
			[]string{"[A] table, 2 rows", "2026-11-24 10:00:00\n", "2026-11-24 10:00:01\n"}, []string{`""`, ".000"}},
		{"one precision per column", data.NewFrame("deploys", data.NewField("time", nil, []time.Time{base, base.Add(1500 * time.Millisecond)})),
			[]string{`[A] table "deploys", 2 rows`, "2026-11-24 10:00:00.000\n", "2026-11-24 10:00:01.500\n"}, nil},
		{"JSON cells as JSON", data.NewFrame("", data.NewField("tags", nil, []json.RawMessage{json.RawMessage(`["a","b"]`)})),
			[]string{`["a","b"]`}, []string{"[91"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w bytes.Buffer
			printTable(&w, "A", tt.frame)
			for _, s := range tt.want {
				if !strings.Contains(w.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, w.String())
				}
			}
			for _, s := range tt.not {
				if strings.Contains(w.String(), s) {
					t.Errorf("output has %q:\n%s", s, w.String())
				}
			}
		})
	}
}

// TestSeriesLabelsOnce: a legend that already shows the labels is not
// followed by them again.
func TestSeriesLabelsOnce(t *testing.T) {
	v := data.NewField("cpu", data.Labels{"host": "web-1"}, []float64{1, 2})
	v.Config = &data.FieldConfig{DisplayNameFromDS: `cpu {host="web-1"}`}
	plain := data.NewField("mem", data.Labels{"host": "web-2"}, []float64{1, 2})
	var w bytes.Buffer
	printSeries(&w, "A", data.NewFrame("", data.NewField("time", nil, []float64{1, 2}), v, plain))
	out := w.String()
	if strings.Count(out, "web-1") != 1 || !strings.Contains(out, "{host=web-2}") {
		t.Errorf("want web-1 once (in the legend) and mem's labels printed:\n%s", out)
	}
}

// TestFollowOnePrecision: after a history with milliseconds, every row
// shows them, including those on a whole second.
func TestFollowOnePrecision(t *testing.T) {
	hist := wide([]int{0}, "a")
	hist.Fields[0].Set(0, t0.Add(500*time.Millisecond))
	var w bytes.Buffer
	p := &rowPrinter{w: &w, refID: "A"}
	p.seen(hist)
	raw, err := json.Marshal(wide([]int{1, 2}, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.packet(raw); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(w.String()), "\n") {
		if strings.HasPrefix(line, "[A] 20") && !strings.Contains(line, ".000") {
			t.Errorf("row without milliseconds after a history with them: %q", line)
		}
	}
}
