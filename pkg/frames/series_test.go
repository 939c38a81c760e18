package frames

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/testsupport"
)

func TestDecodeSeries(t *testing.T) {
	type point struct {
		ms  int64
		val *float64
	}
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name    string
		body    string
		series  []string
		points  [][]point // per series
		labels  []data.Labels
		notices int
	}{
		{name: "empty body", body: ""},
		{name: "whitespace body", body: "  \n"},
		{name: "null", body: "null"},
		{name: "empty array", body: "[]"},
		{
			name:   "plain series",
			body:   `[{"target":"cpu","datapoints":[[1.5,1000],[2,2000]]}]`,
			series: []string{"cpu"},
			points: [][]point{{{1000, f(1.5)}, {2000, f(2)}}},
		},
		{
			name:   "keys in any order, tags, extra fields, refId ignored",
			body:   `[{"datapoints":[[3,1000]],"extra":{"a":[1,2]},"tags":{"host":"a","n":3},"refId":"X","target":"m"}]`,
			series: []string{"m"},
			points: [][]point{{{1000, f(3)}}},
			labels: []data.Labels{{"host": "a", "n": "3"}},
		},
		{
			name:   "numeric strings, null, NaN and Inf strings, float timestamps",
			body:   `[{"target":"s","datapoints":[["4.5",1000.0],[null,2000],["NaN",3000.5],["-Infinity","4000"]]}]`,
			series: []string{"s"},
			points: [][]point{{{1000, f(4.5)}, {2000, nil}, {3000, f(math.NaN())}, {4000, f(math.Inf(-1))}}},
		},
		{
			name:    "unsorted points are sorted, duplicates noticed",
			body:    `[{"target":"u","datapoints":[[3,3000],[1,1000],[2,2000],[22,2000]]}]`,
			series:  []string{"u"},
			points:  [][]point{{{1000, f(1)}, {2000, f(2)}, {2000, f(22)}, {3000, f(3)}}},
			notices: 2,
		},
		{
			name:   "extra elements in a point are ignored",
			body:   `[{"target":"e","datapoints":[[1,1000,"x"]]}]`,
			series: []string{"e"},
			points: [][]point{{{1000, f(1)}}},
		},
		{
			name:   "frame shaped item becomes one series per number field",
			body:   `[{"name":"fr","fields":[{"name":"time","type":"time","values":[2000,1000]},{"name":"a","type":"number","values":[2,1],"labels":{"k":"v"}},{"name":"b","type":"number","values":[null,"5"]}]}]`,
			series: []string{"a", "b"},
			points: [][]point{{{1000, f(1)}, {2000, f(2)}}, {{1000, f(5)}, {2000, nil}}},
			labels: []data.Labels{{"k": "v"}, nil},
			// both series were unsorted
			notices: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 0)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(a.Series) != len(tt.series) {
				t.Fatalf("got %d series, want %d", len(a.Series), len(tt.series))
			}
			for i, s := range a.Series {
				if s.Name != tt.series[i] {
					t.Errorf("series %d name %q, want %q", i, s.Name, tt.series[i])
				}
				if tt.labels != nil && !labelsEqual(s.Labels, tt.labels[i]) {
					t.Errorf("series %d labels %v, want %v", i, s.Labels, tt.labels[i])
				}
				want := tt.points[i]
				if s.Time.Len() != len(want) || s.Value.Len() != len(want) {
					t.Fatalf("series %d has %d points, want %d", i, s.Time.Len(), len(want))
				}
				for p, w := range want {
					gotT := s.Time.At(p).(time.Time)
					if gotT.UnixMilli() != w.ms {
						t.Errorf("point %d time %d, want %d", p, gotT.UnixMilli(), w.ms)
					}
					var gotV *float64
					if v, ok := s.ValueAt(p); ok {
						gotV = &v
					}
					if !floatPtrEqual(gotV, w.val) {
						t.Errorf("point %d value %v, want %v", p, deref(gotV), deref(w.val))
					}
				}
			}
			if len(a.Notices) != tt.notices {
				t.Errorf("notices %q, want %d", a.Notices, tt.notices)
			}
		})
	}
}

func labelsEqual(a, b data.Labels) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func floatPtrEqual(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b || (math.IsNaN(*a) && math.IsNaN(*b))
}

var deref = testsupport.Deref

// Numbers beyond float64's range are ±Inf, as JavaScript reads them, in
// every place a number can stand; they used to fail the whole query.
func TestOutOfRangeNumbersAreInfinite(t *testing.T) {
	a, err := Decode(strings.NewReader(`[{"target":"a","datapoints":[[1e400,1000],[-1e400,2000],["1e400",3000],[1e-400,4000]]},`+
		`{"columns":[{"text":"v","type":"number"}],"rows":[[1e999],["-1e999"]]}]`), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := a.Series[0]
	for i, want := range []float64{math.Inf(1), math.Inf(-1), math.Inf(1), 0} {
		if got, ok := s.ValueAt(i); !ok || got != want {
			t.Errorf("point %d = %v, want %v", i, got, want)
		}
	}
	col := a.Tables[0].Fields[0]
	for i, want := range []float64{math.Inf(1), math.Inf(-1)} {
		if got := col.At(i).(*float64); got == nil || *got != want {
			t.Errorf("cell %d = %v, want %v", i, got, want)
		}
	}
}

// Series in a row with the same times share one time field; any other
// series gets its own, with its own times.
func TestSeriesShareTimes(t *testing.T) {
	tests := []struct {
		name string
		body string
		// shared[i]: series i+1 uses series i's time field.
		shared []bool
		times  [][]int64 // per series, in ms
	}{
		{
			name:   "same times",
			body:   `[{"target":"a","datapoints":[[1,1000],[2,2000]]},{"target":"b","datapoints":[[3,1000],[4,2000]]}]`,
			shared: []bool{true},
			times:  [][]int64{{1000, 2000}, {1000, 2000}},
		},
		{
			name:   "same times after sorting",
			body:   `[{"target":"a","datapoints":[[1,1000],[2,2000]]},{"target":"b","datapoints":[[4,2000],[3,1000]]}]`,
			shared: []bool{true},
			times:  [][]int64{{1000, 2000}, {1000, 2000}},
		},
		{
			name:   "other times, then the same as the one before",
			body:   `[{"target":"a","datapoints":[[1,1000],[2,2000]]},{"target":"b","datapoints":[[3,1000],[4,3000]]},{"target":"c","datapoints":[[5,1000],[6,3000]]}]`,
			shared: []bool{false, true},
			times:  [][]int64{{1000, 2000}, {1000, 3000}, {1000, 3000}},
		},
		{
			name:   "fewer points",
			body:   `[{"target":"a","datapoints":[[1,1000],[2,2000]]},{"target":"b","datapoints":[[3,1000]]},{"target":"c","datapoints":[]}]`,
			shared: []bool{false, false},
			times:  [][]int64{{1000, 2000}, {1000}, {}},
		},
		{
			name:   "a series between with other times",
			body:   `[{"target":"a","datapoints":[[1,1000]]},{"target":"b","datapoints":[[2,5000]]},{"target":"c","datapoints":[[3,1000]]}]`,
			shared: []bool{false, false},
			times:  [][]int64{{1000}, {5000}, {1000}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Series) != len(tt.times) {
				t.Fatalf("got %d series, want %d", len(a.Series), len(tt.times))
			}
			for i, s := range a.Series {
				var got []int64
				for p := range s.Time.Len() {
					got = append(got, s.Time.At(p).(time.Time).UnixMilli())
				}
				if !slices.Equal(got, tt.times[i]) && len(got)+len(tt.times[i]) > 0 {
					t.Errorf("series %d times %v, want %v", i, got, tt.times[i])
				}
				if i > 0 && (s.Time == a.Series[i-1].Time) != tt.shared[i-1] {
					t.Errorf("series %d shares the time field of the one before: %v, want %v", i, s.Time == a.Series[i-1].Time, tt.shared[i-1])
				}
			}
		})
	}
}
