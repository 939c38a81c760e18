package live

import (
	"testing"
	"time"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// later is the clock of cuts that test neither time nor expiry: past
// every point of their answers.
var later = t0.Add(time.Hour)

// series makes a series with a point at each offset (seconds after t0)
// whose value is the offset.
func series(name string, labels data.Labels, offsets ...int) *frames.Series {
	times := make([]time.Time, len(offsets))
	values := make([]float64, len(offsets))
	for i, o := range offsets {
		times[i] = t0.Add(time.Duration(o) * time.Second)
		values[i] = float64(o)
	}
	return &frames.Series{Name: name, Labels: labels, Time: data.NewField("Time", nil, times), Value: data.NewField("", nil, values)}
}

func answer(s ...*frames.Series) *frames.Answer { return &frames.Answer{Series: s} }

// rows reads a cut's frame back as time offset -> one value per column
// (nil for a null), in column order.
func rows(t *testing.T, f *data.Frame) map[int][]*float64 {
	t.Helper()
	out := map[int][]*float64{}
	for r := 0; r < f.Rows(); r++ {
		off := int(f.Fields[0].At(r).(time.Time).Sub(t0) / time.Second)
		if _, dup := out[off]; dup {
			t.Fatalf("two rows at +%ds", off)
		}
		for _, field := range f.Fields[1:] {
			out[off] = append(out[off], field.At(r).(*float64))
		}
	}
	return out
}

func TestCut(t *testing.T) {
	eu, us := data.Labels{"region": "eu"}, data.Labels{"region": "us"}
	tests := []struct {
		name        string
		answer      *frames.Answer
		after       int // seconds after t0; -1: from the start
		wantRows    []int
		wantCols    []string
		wantNewest  int
		wantLate    int
		wantChanged bool
	}{
		{"first answer, all points", answer(series("cpu", eu, 0, 1, 2), series("cpu", us, 1, 2)), -1,
			[]int{0, 1, 2}, []string{"cpu{region=eu}", "cpu{region=us}"}, 2, 0, true},
		{"only points after the newest sent; the one at it was sent", answer(series("cpu", eu, 2, 3, 4)), 2,
			[]int{3, 4}, []string{"cpu{region=eu}"}, 4, 0, true},
		{"late points are counted and left out", answer(series("cpu", eu, 1, 5), series("cpu", us, 0, 6)), 2,
			[]int{5, 6}, []string{"cpu{region=eu}", "cpu{region=us}"}, 6, 2, true},
		{"nothing new: no rows, the newest stays, no field for a series without a new point", answer(series("cpu", eu, 1, 2)), 2,
			nil, nil, 2, 1, false},
		{"no labels", answer(series("up", nil, 3)), 2, []int{3}, []string{"up"}, 3, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := time.Time{}
			if tt.after >= 0 {
				after = t0.Add(time.Duration(tt.after) * time.Second)
			}
			cut := NewLayout("").Cut(tt.answer, after, later)
			got := rows(t, cut.Frame)
			if len(got) != len(tt.wantRows) {
				t.Fatalf("rows at %v, want %v", got, tt.wantRows)
			}
			for i, off := range tt.wantRows {
				if cut.Frame.Fields[0].At(i).(time.Time) != t0.Add(time.Duration(off)*time.Second) {
					t.Errorf("row %d is not +%ds: rows must ascend", i, off)
				}
			}
			var cols []string
			for _, f := range cut.Frame.Fields[1:] {
				cols = append(cols, f.Name)
			}
			if len(cols) != len(tt.wantCols) {
				t.Fatalf("columns %v, want %v", cols, tt.wantCols)
			}
			for i := range cols {
				if cols[i] != tt.wantCols[i] {
					t.Errorf("columns %v, want %v", cols, tt.wantCols)
				}
			}
			if want := t0.Add(time.Duration(tt.wantNewest) * time.Second); cut.Newest != want {
				t.Errorf("newest %v, want %v", cut.Newest, want)
			}
			if cut.Late != tt.wantLate || cut.SchemaChanged != tt.wantChanged {
				t.Errorf("late %d changed %v, want %d %v", cut.Late, cut.SchemaChanged, tt.wantLate, tt.wantChanged)
			}
		})
	}
}

// Values land in their series' column, nulls where a series has no point
// at a row's time, and the frame is a wide time series Grafana and
// alerting read (data plane).
func TestCutValuesAndDataPlane(t *testing.T) {
	eu, us := data.Labels{"region": "eu"}, data.Labels{"region": "us"}
	l := NewLayout("{{region}}")
	cut := l.Cut(answer(series("cpu", us, 1, 3), series("cpu", eu, 1, 2)), time.Time{}, later)
	got := rows(t, cut.Frame)
	want := map[int][2]float64{1: {1, 1}, 2: {2, -1}, 3: {-1, 3}} // eu, us; -1: null
	for off, w := range want {
		for c := range 2 {
			v := got[off][c]
			if (w[c] == -1) != (v == nil) || (v != nil && *v != w[c]) {
				t.Errorf("+%ds column %d = %v, want %v", off, c, v, w[c])
			}
		}
	}
	if d := cut.Frame.Fields[1].Config.DisplayNameFromDS; d != "eu" {
		t.Errorf("legend %q, want the alias filled in", d)
	}
	r, err := timeseries.CollectionReaderFromFrames(data.Frames{cut.Frame})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.GetCollection(true)
	if err != nil || c.Warning != nil || len(c.Refs) != 2 || c.RemainderIndices != nil {
		t.Fatalf("data plane read %d series (warning %v, remainder %v, error %v), want 2", len(c.Refs), c.Warning, c.RemainderIndices, err)
	}
}

// A series that appears later is a new field, and the existing ones keep
// their place relative to each other; a series that stops answering keeps
// its field, with nulls.
func TestLayoutKeepsFields(t *testing.T) {
	l := NewLayout("")
	l.Cut(answer(series("b", nil, 1), series("d", nil, 1)), time.Time{}, later)
	cut := l.Cut(answer(series("a", nil, 2), series("c", nil, 2)), t0.Add(time.Second), later)
	if !cut.SchemaChanged {
		t.Error("new series did not change the schema")
	}
	var names []string
	for _, f := range cut.Frame.Fields[1:] {
		names = append(names, f.Name)
	}
	if len(names) != 4 || names[0] != "a" || names[1] != "b" || names[2] != "c" || names[3] != "d" {
		t.Errorf("fields %v, want a b c d", names)
	}
	if again := l.Cut(answer(series("a", nil, 3)), t0.Add(2*time.Second), later); again.SchemaChanged || len(again.Frame.Fields) != 5 {
		t.Errorf("a series that stopped answering changed the schema (%v) or lost its field (%d fields)", again.SchemaChanged, len(again.Frame.Fields))
	}
	if s := l.Schema(); s.Rows() != 0 || len(s.Fields) != 5 {
		t.Errorf("schema has %d rows and %d fields, want 0 and 5", s.Rows(), len(s.Fields))
	}
}
