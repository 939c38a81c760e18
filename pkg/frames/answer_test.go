package frames

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	body := `[{"target":"a TOKEN","tags":{"k":"TOKEN"},"datapoints":[[1,1000]]},{"columns":[{"text":"TOKEN col"},{"text":"n"}],"rows":[["x TOKEN",1],[null,2]]}]`
	a, err := Decode(strings.NewReader(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Redact(func(s string) string { return strings.ReplaceAll(s, "TOKEN", "[redacted]") })
	frames, err := a.Frames(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(frames)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "TOKEN") || strings.Count(string(b), "[redacted]") < 4 {
		t.Errorf("not redacted: %s", b)
	}
}

func TestSizeBytes(t *testing.T) {
	kb := strings.Repeat("x", 1024)
	stringTable := `[{"columns":[{"text":"s","type":"string"}],"rows":[` + repeat(`["`+kb+`"]`, 1000) + `]}]`
	numberTable := `[{"columns":[{"text":"a","type":"number"},{"text":"b","type":"number"}],"rows":[` + repeat(`[1,2]`, 1000) + `]}]`
	sparseTable := `[{"columns":[{"text":"a","type":"number"},{"text":"b","type":"number"}],"rows":[` + repeat(`[1,null]`, 1000) + `]}]`
	series := `[{"target":"cpu","datapoints":[` + repeat(`[1,1000]`, 1000) + `]}]`
	nullableSeries := `[{"target":"cpu","datapoints":[` + repeat(`[null,1000]`, 1000) + `]}]`
	labelled := `[{"target":"cpu","tags":{"host":"` + kb + `"},"datapoints":[]}]`
	unlabelled := `[{"target":"cpu","datapoints":[]}]`
	tests := []struct {
		name     string
		body     string
		min, max int64
		// moreThan: the answer counts at least min more than this one's.
		moreThan string
	}{
		{name: "empty answer", body: `[]`, min: 1, max: 1024},
		{name: "1,000 strings of 1 KB", body: stringTable, min: 1_000_000, max: 1_100_000},
		{name: "numbers: pointer and value", body: numberTable, min: 2000 * 16, max: 2000*16 + 1024},
		{name: "nulls: a pointer only", body: sparseTable, min: 1000*16 + 1000*8, max: 1000*16 + 1000*8 + 1024},
		{name: "series: time and value", body: series, min: 1000 * 32, max: 1000*32 + 1024},
		{name: "nullable series: and a pointer", body: nullableSeries, min: 1000 * 40, max: 1000*40 + 1024},
		{name: "series with the same times: one time field", body: `[{"target":"a","datapoints":[` + repeat(`[1,1000]`, 1000) + `]},{"target":"b","datapoints":[` + repeat(`[1,1000]`, 1000) + `]}]`, min: 1000*24 + 2000*8, max: 1000*24 + 2000*8 + 1024},
		{name: "labels count", body: labelled, moreThan: unlabelled, min: 1024 + 4},
		{name: "names count", body: `[{"target":"` + kb + `","datapoints":[]}]`, moreThan: unlabelled, min: 1024 - 3},
		{name: "column names count", body: `[{"columns":["` + kb + `"],"rows":[]}]`, moreThan: `[{"columns":["a"],"rows":[]}]`, min: 1023},
		{name: "notices count", body: `[{"target":"cpu","datapoints":[[1,2000],[1,1000]]}]`, moreThan: `[{"target":"cpu","datapoints":[[1,1000],[1,2000]]}]`, min: 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeForSize(t, tt.body)
			if tt.moreThan != "" {
				base := decodeForSize(t, tt.moreThan)
				if got-base < tt.min {
					t.Errorf("SizeBytes = %d, only %d more than %d, want %d more", got, got-base, base, tt.min)
				}
				return
			}
			if got < tt.min || got > tt.max {
				t.Errorf("SizeBytes = %d, want between %d and %d", got, tt.min, tt.max)
			}
		})
	}
}

func decodeForSize(t *testing.T, body string) int64 {
	t.Helper()
	a, err := Decode(strings.NewReader(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	return a.SizeBytes()
}
