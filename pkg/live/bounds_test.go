package live

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
)

// scraped makes n series of points every step from start to end, series
// i offset by i×offset (each scraped at its own time), valued by i.
func scraped(n int, start, end time.Time, step, offset time.Duration) *frames.Answer {
	ans := &frames.Answer{}
	for i := range n {
		var times []time.Time
		var values []float64
		for t := start.Add(time.Duration(i) * offset); !t.After(end); t = t.Add(step) {
			times = append(times, t)
			values = append(values, float64(i))
		}
		ans.Series = append(ans.Series, &frames.Series{Name: "up", Labels: data.Labels{"pod": fmt.Sprintf("p%04d", i)},
			Time: data.NewField("Time", nil, times), Value: data.NewField("", nil, values)})
	}
	return ans
}

func points(a *frames.Answer) int {
	n := 0
	for _, s := range a.Series {
		n += s.Time.Len()
	}
	return n
}

func notices(f *data.Frame) string {
	var out []string
	for _, n := range f.Meta.Notices {
		out = append(out, n.Text)
	}
	return strings.Join(out, "\n")
}

// A wide frame has a cell per row and series: series sampled each at its
// own offset make a row for every point unless their rows are aligned.
// The frame never holds more cells than cellBudget of its points, and
// series that line up keep their timestamps as sent.
func TestCutBoundsSeriesThatDoNotLineUp(t *testing.T) {
	end := t0.Add(time.Minute - time.Millisecond)
	tests := []struct {
		name     string
		answer   *frames.Answer
		interval time.Duration
		wantStep time.Duration // 0: timestamps as sent
		wantRows int
	}{
		{"1,000 series at their own offsets, aligned to the 1s interval", scraped(1000, t0, end, time.Second, time.Millisecond/2), time.Second, time.Second, 60},
		{"an interval too fine to fit is doubled", scraped(1000, t0, end, time.Second, time.Millisecond/2), time.Millisecond, 1024 * time.Millisecond, 59},
		{"no interval: from a millisecond up", scraped(1000, t0, end, time.Second, time.Millisecond/2), 0, 1024 * time.Millisecond, 59},
		{"series that line up keep their timestamps", scraped(1000, t0, end, time.Second, 0), time.Second, 0, 60},
		{"a few series at their own offsets fit as sent", scraped(10, t0, end, time.Second, time.Millisecond), time.Second, 0, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLayout("").Bound(Bounds{MaxSeries: 10_000, Idle: time.Hour, Interval: tt.interval})
			cut := l.Cut(tt.answer, time.Time{}, t0.Add(2*time.Minute))
			rows, cols := cut.Frame.Rows(), len(cut.Frame.Fields)-1
			if cells := rows * cols; cells > cellBudget(points(tt.answer)) {
				t.Errorf("%d rows × %d series = %d cells for %d points", rows, cols, cells, points(tt.answer))
			}
			if l.step != tt.wantStep || rows != tt.wantRows || cols != len(tt.answer.Series) {
				t.Errorf("step %v, %d rows, %d series; want %v, %d, %d", l.step, rows, cols, tt.wantStep, tt.wantRows, len(tt.answer.Series))
			}
			if aligned := strings.Contains(notices(cut.Frame), "do not line up"); aligned != (tt.wantStep > 0) {
				t.Errorf("notices %q; want one about alignment: %v", notices(cut.Frame), tt.wantStep > 0)
			}
			if tt.wantStep == 0 {
				return
			}
			// Every series has its value in every row, at its interval.
			for r := range rows {
				ts := cut.Frame.Fields[0].At(r).(time.Time)
				if ts.UnixNano()%int64(l.step) != 0 {
					t.Fatalf("row %d at %v is not on the %v grid", r, ts, l.step)
				}
				for c, f := range cut.Frame.Fields[1:] {
					if v := f.At(r).(*float64); v == nil || *v != float64(c) {
						t.Fatalf("row %d series %d = %v, want %d", r, c, v, c)
					}
				}
			}
		})
	}
}

// Rows that are intervals go out once each, when the interval has ended,
// and the next cut starts after the last one sent: a stream never sends
// a row twice or out of order.
func TestAlignedCutsAppendWholeIntervals(t *testing.T) {
	l := NewLayout("").Bound(Bounds{Idle: time.Hour, Interval: time.Second})
	all := scraped(1000, t0, t0.Add(20*time.Second), time.Second, time.Millisecond/2)
	upTo := func(end time.Time) *frames.Answer {
		out := &frames.Answer{}
		for _, s := range all.Series {
			var times []time.Time
			var values []float64
			for i := 0; i < s.Time.Len(); i++ {
				if ts := s.Time.At(i).(time.Time); !ts.After(end) {
					times, values = append(times, ts), append(values, float64(i))
				}
			}
			out.Series = append(out.Series, &frames.Series{Name: s.Name, Labels: s.Labels, Time: data.NewField("Time", nil, times), Value: data.NewField("", nil, values)})
		}
		return out
	}
	after, next := time.Time{}, t0
	for _, now := range []time.Duration{10500 * time.Millisecond, 11200 * time.Millisecond, 11300 * time.Millisecond, 15 * time.Second} {
		clock := t0.Add(now)
		cut := l.Cut(upTo(clock), after, clock)
		for r := range cut.Frame.Rows() {
			if ts := cut.Frame.Fields[0].At(r).(time.Time); !ts.Equal(next) {
				t.Fatalf("at +%v: row at +%v, want +%v", now, ts.Sub(t0), next.Sub(t0))
			}
			next = next.Add(time.Second)
			if ended := next; ended.After(clock) {
				t.Fatalf("at +%v: a row for an interval that ends at +%v", now, ended.Sub(t0))
			}
		}
		after = cut.Newest
	}
	if want := t0.Add(15 * time.Second); !next.Equal(want) {
		t.Errorf("rows up to +%v, want +%v", next.Sub(t0), want.Sub(t0))
	}
}

// A series that sent nothing for the idle time leaves the frame, and no
// more series than MaxSeries are ever in it: series beyond it are left
// out, with a notice, until idle ones make room.
func TestLayoutExpiresAndCapsSeries(t *testing.T) {
	one := func(name string, at time.Time) *frames.Series {
		return &frames.Series{Name: name, Time: data.NewField("Time", nil, []time.Time{at}), Value: data.NewField("", nil, []float64{1})}
	}
	l := NewLayout("").Bound(Bounds{MaxSeries: 3, Idle: 10 * time.Second})
	steps := []struct {
		at          time.Duration
		series      []string
		wantFields  []string
		wantLeftOut bool
		wantChanged bool
	}{
		{0, []string{"a", "b"}, []string{"a", "b"}, false, true},
		{5 * time.Second, []string{"a", "c", "d", "e"}, []string{"a", "b", "c"}, true, true},
		{10 * time.Second, []string{"a", "d"}, []string{"a", "b", "c"}, true, false},
		// b last sent at 0: more than 10s idle, it leaves; d takes its place.
		{11 * time.Second, []string{"a", "d"}, []string{"a", "c", "d"}, false, true},
		{30 * time.Second, []string{"e"}, []string{"e"}, false, true},
	}
	after := time.Time{}
	for _, st := range steps {
		now := t0.Add(st.at)
		ans := &frames.Answer{}
		for _, n := range st.series {
			ans.Series = append(ans.Series, one(n, now))
		}
		cut := l.Cut(ans, after, now)
		after = cut.Newest
		var got []string
		for _, f := range cut.Frame.Fields[1:] {
			got = append(got, f.Name)
		}
		if strings.Join(got, " ") != strings.Join(st.wantFields, " ") || cut.SchemaChanged != st.wantChanged {
			t.Errorf("+%v: fields %v (changed %v), want %v (%v)", st.at, got, cut.SchemaChanged, st.wantFields, st.wantChanged)
		}
		if leftOut := strings.Contains(notices(cut.Frame), "were left out"); leftOut != st.wantLeftOut {
			t.Errorf("+%v: notices %q, want one about series left out: %v", st.at, notices(cut.Frame), st.wantLeftOut)
		}
	}
}

// A point stamped far ahead of the clock is left out and never becomes
// the cut's newest; one within the allowance is taken.
func TestCutLeavesOutPointsFromTheFuture(t *testing.T) {
	now := t0.Add(time.Minute)
	for _, tt := range []struct {
		ahead      time.Duration
		wantNewest time.Time
		wantFuture int
	}{
		{24 * time.Hour, t0.Add(50 * time.Second), 1},
		{FutureAllowance + time.Millisecond, t0.Add(50 * time.Second), 1},
		{FutureAllowance, now.Add(FutureAllowance), 0},
	} {
		s := &frames.Series{Name: "up", Time: data.NewField("Time", nil, []time.Time{t0.Add(50 * time.Second), now.Add(tt.ahead)}),
			Value: data.NewField("", nil, []float64{1, 2})}
		cut := NewLayout("").Cut(&frames.Answer{Series: []*frames.Series{s}}, t0, now)
		if !cut.Newest.Equal(tt.wantNewest) || cut.Future != tt.wantFuture {
			t.Errorf("a point %v ahead: newest +%v, %d left out; want +%v, %d", tt.ahead, cut.Newest.Sub(t0), cut.Future, tt.wantNewest.Sub(t0), tt.wantFuture)
		}
		if hasNotice := strings.Contains(notices(cut.Frame), "after the plugin's clock"); hasNotice != (tt.wantFuture > 0) {
			t.Errorf("a point %v ahead: notices %q", tt.ahead, notices(cut.Frame))
		}
	}
}

// The names an alias gives a live frame's series are bounded as the
// non-live frames' are: a short alias that repeats a long tag would
// otherwise put megabytes of names in every packet that carries the
// schema. Past the bound series show their own names, with a notice, and
// a series that leaves the frame frees its name's room.
func TestLayoutBoundsAliasNames(t *testing.T) {
	pod := strings.Repeat("p", 16<<10)
	alias := strings.Repeat("{{pod}}", 100) // 1.6 MB of name per series
	per := frames.AliasSize(alias, "", data.Labels{"pod": pod})
	fit := frames.MaxDisplayNameBytes / per
	tests := []struct {
		name       string
		series     int
		wantPlain  int
		wantNotice bool
	}{
		{"within the bound", fit, 0, false},
		{"past the bound", fit + 5, 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLayout(alias).Bound(Bounds{Idle: 10 * time.Second})
			ans := &frames.Answer{}
			for i := range tt.series {
				ans.Series = append(ans.Series, series(fmt.Sprintf("s%03d", i), data.Labels{"pod": pod + fmt.Sprint(i)}, 0))
			}
			cut := l.Cut(ans, time.Time{}, t0)
			total, plain := 0, 0
			for _, f := range cut.Frame.Fields[1:] {
				name := f.Config.DisplayNameFromDS
				if strings.HasPrefix(name, "s") {
					plain++
				} else {
					total += len(name)
				}
			}
			if total > frames.MaxDisplayNameBytes || plain != tt.wantPlain {
				t.Errorf("%d bytes of alias names (limit %d), %d series under their own names; want %d", total, frames.MaxDisplayNameBytes, plain, tt.wantPlain)
			}
			if got := strings.Contains(notices(cut.Frame), "show their own names"); got != tt.wantNotice {
				t.Errorf("notices %q; want the alias notice: %v", notices(cut.Frame), tt.wantNotice)
			}
			// Every series leaves once idle; new ones get the alias again.
			next := answer(series("t", data.Labels{"pod": "x"}, 20))
			cut = l.Cut(next, cut.Newest, t0.Add(20*time.Second))
			if got := cut.Frame.Fields[1].Config.DisplayNameFromDS; got != strings.Repeat("x", 100) {
				t.Errorf("after the others left, the new series is named %.40q, want the alias filled in", got)
			}
		})
	}
}
