package frames

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// testSeries builds a series at one point per second from t=0; nil is a null.
func testSeries(values ...*float64) *Series {
	times := make([]time.Time, len(values))
	nullable := slices.Contains(values, nil)
	plain := make([]float64, len(values))
	for i, v := range values {
		times[i] = time.Unix(int64(i), 0).UTC()
		if v != nil {
			plain[i] = *v
		}
	}
	s := &Series{Name: "s", Labels: data.Labels{"host": "a"}, Time: data.NewField("Time", nil, times)}
	if nullable {
		s.Value = data.NewField("", nil, values)
	} else {
		s.Value = data.NewField("", nil, plain)
	}
	return s
}

func f(v float64) *float64 { return &v }

func fs(vs ...float64) []*float64 {
	out := make([]*float64, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

// point is one point as pointsOf lists a series: its second, its value,
// and whether it is null.
type point struct {
	sec   int64
	value float64
	null  bool
}

func pointsOf(s *Series) []point {
	out := make([]point, s.Time.Len())
	for i := range out {
		v, ok := s.ValueAt(i)
		out[i] = point{s.Time.At(i).(time.Time).Unix(), v, !ok}
	}
	return out
}

func TestDownsample(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		values    []*float64
		maxPoints int
		want      []point // nil: the series itself, untouched
	}{
		{"fewer points than the target", fs(1, 2, 3), 4, nil},
		{"as many points as the target", fs(1, 2, 3, 4), 4, nil},
		{"a target of 1 leaves no room for a pair", fs(1, 2, 3), 1, nil},
		// 8 points over 7 s, 2 buckets of 3.5 s: [0,3.5) and [3.5,7].
		{"extremes kept, in time order", fs(5, 9, 1, 4, 3, 0, 8, 2), 4, []point{{1, 9, false}, {2, 1, false}, {5, 0, false}, {6, 8, false}}},
		{"a spike survives", fs(1, 1, 1, 100, 1, 1, 1, 1, 1, 1), 4, []point{{0, 1, false}, {3, 100, false}, {5, 1, false}}},
		{"a flat bucket keeps one point", fs(2, 2, 2, 2, 7, 7, 7, 7), 4, []point{{0, 2, false}, {4, 7, false}}},
		// 7 points over 6 s, 3 buckets of 2 s: a point on an edge (2 s,
		// 4 s) opens the next bucket, the last point closes the last one.
		{"bucket edges", fs(1, 2, 3, 4, 5, 6, 7), 6, []point{{0, 1, false}, {1, 2, false}, {2, 3, false}, {3, 4, false}, {4, 5, false}, {6, 7, false}}},
		{"nulls beside values are dropped", []*float64{f(1), nil, f(3), nil, f(5), f(6)}, 4, []point{{0, 1, false}, {2, 3, false}, {4, 5, false}, {5, 6, false}}},
		{"a bucket of nulls stays a gap", []*float64{f(1), f(2), f(3), nil, nil, nil}, 4, []point{{0, 1, false}, {2, 3, false}, {3, 0, true}}},
		{"NaN is neither extreme", fs(nan, 4, 1, nan, 2, 3), 4, []point{{1, 4, false}, {2, 1, false}, {4, 2, false}, {5, 3, false}}},
		{"a bucket of NaN keeps one", fs(1, 2, 3, nan, nan, nan), 4, []point{{0, 1, false}, {2, 3, false}, {3, nan, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSeries(tt.values...)
			before := pointsOf(s)
			got := s.downsample(tt.maxPoints)
			if tt.want == nil {
				if got != s {
					t.Fatalf("the series was replaced: %v", pointsOf(got))
				}
				return
			}
			gp := pointsOf(got)
			if !slices.EqualFunc(gp, tt.want, samePoint) {
				t.Errorf("got  %v\nwant %v", gp, tt.want)
			}
			if len(gp) > tt.maxPoints || !slices.IsSortedFunc(gp, func(a, b point) int { return int(a.sec - b.sec) }) {
				t.Errorf("%d points, want at most %d, sorted by time", len(gp), tt.maxPoints)
			}
			if !slices.EqualFunc(pointsOf(s), before, samePoint) {
				t.Error("the shared series was changed")
			}
			if got.Name != s.Name || got.Labels["host"] != "a" || got.Value.Type() != s.Value.Type() {
				t.Errorf("name %q labels %v type %v", got.Name, got.Labels, got.Value.Type())
			}
		})
	}
}

func samePoint(a, b point) bool {
	return a.sec == b.sec && a.null == b.null && (a.value == b.value || math.IsNaN(a.value) && math.IsNaN(b.value))
}

// A long series keeps its global extremes whatever the target, and never
// exceeds it.
func TestDownsampleLongSeries(t *testing.T) {
	const n = 100_000
	values := make([]float64, n)
	for i := range values {
		values[i] = math.Sin(float64(i) / 100)
	}
	values[31_337], values[77_777] = 50, -50
	times := make([]time.Time, n)
	for i := range times {
		times[i] = time.Unix(int64(i)*15, 0)
	}
	s := &Series{Name: "s", Time: data.NewField("Time", nil, times), Value: data.NewField("", nil, values)}
	for _, target := range []int{2, 3, 100, 2000, 99_999} {
		got := pointsOf(s.downsample(target))
		if len(got) > target {
			t.Errorf("target %d: %d points", target, len(got))
		}
		hi := slices.MaxFunc(got, func(a, b point) int { return int(a.value - b.value) })
		lo := slices.MinFunc(got, func(a, b point) int { return int(a.value - b.value) })
		if hi.value != 50 || lo.value != -50 {
			t.Errorf("target %d: extremes %v and %v, want 50 and -50", target, hi.value, lo.value)
		}
	}
}

func TestFramesDownsample(t *testing.T) {
	long := testSeries(fs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)...)
	short := testSeries(fs(1, 2)...)
	a := &Answer{Series: []*Series{long, short}}
	tests := []struct {
		name       string
		opts       Options
		wantPoints []int
		wantNotice string
	}{
		{"off", Options{MaxDataPoints: 4}, []int{10, 2}, ""},
		{"on", Options{MaxDataPoints: 4, Downsample: true}, []int{4, 2}, "downsampled from 10 to 4 points"},
		{"never for alert rules", Options{MaxDataPoints: 4, Downsample: true, ForAlerting: true}, []int{10, 2}, ""},
		{"never without maxDataPoints", Options{Downsample: true}, []int{10, 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := a.Frames(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var points []int
			for _, fr := range out {
				points = append(points, fr.Fields[0].Len())
			}
			if !slices.Equal(points, tt.wantPoints) {
				t.Errorf("points %v, want %v", points, tt.wantPoints)
			}
			var notices []string
			for _, n := range out[0].Meta.Notices {
				notices = append(notices, n.Text)
			}
			found := slices.ContainsFunc(notices, func(n string) bool {
				return tt.wantNotice != "" && len(n) >= len(tt.wantNotice) && n[:len(tt.wantNotice)] == tt.wantNotice
			})
			if found != (tt.wantNotice != "") {
				t.Errorf("notices %q, want one starting %q", notices, tt.wantNotice)
			}
			if a.Series[0] != long || long.Time.Len() != 10 {
				t.Error("the shared answer was changed")
			}
		})
	}
}
