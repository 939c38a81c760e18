package live

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// A stream runs for as long as a panel is open, against whatever the
// service answers, so what its frame holds is bounded three ways: the
// cells of one cut (below), the series of the frame (Bounds.MaxSeries,
// with idle series leaving after Bounds.Idle), and the time it takes as
// newest (FutureAllowance).

// FutureAllowance is how far ahead of the plugin's clock a point may be
// stamped and still be taken: clocks kept by NTP differ by far less, and
// a scrape stamped at the end of its collection by a few seconds at
// most. A point further ahead (a service that ignores the range asked
// for, a clock a day off) would become the stream's newest, and every
// later window would start after its end.
const FutureAllowance = 5 * time.Second

// DefaultIdle is how long a series may send nothing before it leaves the
// frame, for a query without a range.
const DefaultIdle = time.Hour

// minCells is the cells a cut may always hold, aligned or not: a small
// answer keeps every timestamp as sent, whatever its shape (100,000
// nullable cells are under 2 MB in the plugin and the browser).
const minCells = 100_000

// Bounds are what a channel's frame may hold; a zero field bounds nothing.
type Bounds struct {
	// MaxSeries caps the series the frame carries: the data source's
	// "Maximum series", which already bounds one answer.
	MaxSeries int
	// Idle is how long a series may send nothing before it leaves the
	// frame: the panel's span, past which its points are off the panel.
	Idle time.Duration
	// Interval is the query's interval, the first step rows are aligned
	// to when the series' timestamps do not line up.
	Interval time.Duration
}

// BoundsFor is the bounds of a query's frame on a data source whose
// "Maximum series" is maxSeries.
func BoundsFor(q *models.Query, maxSeries int) Bounds {
	idle := q.To.Sub(q.From)
	if idle <= 0 {
		idle = DefaultIdle
	}
	return Bounds{MaxSeries: maxSeries, Idle: idle, Interval: time.Duration(q.IntervalMs) * time.Millisecond}
}

// cellBudget is the cells one cut may hold before its rows are aligned:
// as much memory as its points take in the frames of the same query
// without live (twice the points, since a nullable cell costs about half
// a point's time and value), and never more than an answer may hold
// points.
func cellBudget(points int) int {
	return min(max(2*points, minCells), frames.MaxPointsPerAnswer)
}

// alignedBudget is the cells a cut of aligned rows may hold: no more than
// its points, so an interval is only as fine as leaves each series about
// a point in each row, not every other row empty.
func alignedBudget(points int) int {
	return min(max(points, minCells), frames.MaxPointsPerAnswer)
}

// rows returns the frame's rows for the parts' new points, ascending, as
// Unix nanoseconds. A wide frame has a row per distinct timestamp and a
// cell per row and series, so series that are each sampled at their own
// offset would make rows × series cells from rows + series points (1,000
// series of 60 points: 60 million cells from 60,000 points). When the
// rows of this cut would hold more cells than cellBudget, rows become
// intervals: the query's interval, doubled until they hold no more cells
// than points (alignedBudget). Only intervals
// that have ended by now are rows, so a later poll never adds to a row
// already sent; and an interval already sent (at or before after) gets
// no row again.
func (l *Layout) rows(parts []part, after, now time.Time) []int64 {
	n := admitted(parts)
	stamps := make([]int64, 0, n)
	for _, p := range parts {
		if p.col < 0 {
			continue
		}
		for i := p.lo; i < p.hi; i++ {
			stamps = append(stamps, p.s.Time.PointerAt(i).(*time.Time).UnixNano())
		}
	}
	slices.Sort(stamps)
	stamps = slices.Compact(stamps)
	budget, cols := cellBudget(n), max(1, len(l.cols))
	if l.step == 0 && len(stamps)*cols <= budget {
		return stamps
	}
	first := l.step == 0
	if first {
		l.step = max(l.bounds.Interval, time.Millisecond)
	}
	from := int64(-1 << 63)
	if !after.IsZero() {
		from = after.UnixNano()
	}
	rows := make([]int64, 0, min(len(stamps), alignedBudget(n)/cols+1))
	for {
		rows = rows[:0]
		step := int64(l.step)
		for _, ns := range stamps {
			b := ns - ns%step
			if b <= from || b+step > now.UnixNano() || (len(rows) > 0 && rows[len(rows)-1] == b) {
				continue
			}
			rows = append(rows, b)
		}
		if len(rows)*cols <= alignedBudget(n) || len(rows) <= 1 {
			break
		}
		l.step *= 2
		first = true
	}
	if first {
		l.stepNote = fmt.Sprintf("the series' timestamps do not line up (each series is sampled at its own times): a row for each of the %s timestamps would take %s cells for %s points, so this live frame shows each series' last value in each interval of %s, once the interval has ended. Have the service answer on the query's interval (intervalMs), or turn Live off to see every point as sent",
			thousands(len(stamps)), thousands(len(stamps)*cols), thousands(n), l.step)
	}
	return rows
}

// rowOf is the row a point's time falls in.
func (l *Layout) rowOf(ns int64) int64 {
	if l.step == 0 {
		return ns
	}
	return ns - ns%int64(l.step)
}

// admitted is the points of the parts that have a column in the frame.
func admitted(parts []part) int {
	n := 0
	for _, p := range parts {
		if p.col >= 0 {
			n += p.hi - p.lo
		}
	}
	return n
}

// noteKinds names the notices the frame carries now, so a cut can tell
// when they changed.
func (l *Layout) noteKinds() string {
	var k []byte
	if l.step > 0 {
		k = strconv.AppendInt(k, int64(l.step), 10)
	}
	if l.leftOut > 0 {
		k = append(k, 'l')
	}
	if l.future > 0 {
		k = append(k, 'f')
	}
	if l.plainCount() > 0 {
		k = append(k, 'p')
	}
	return string(k)
}

// notices are what the panel shows about points the frame does not hold
// as sent.
func (l *Layout) notices() []data.Notice {
	var out []data.Notice
	if l.step > 0 {
		out = append(out, data.Notice{Severity: data.NoticeSeverityInfo, Text: l.stepNote})
	}
	if l.leftOut > 0 {
		out = append(out, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"this live frame carries at most %s series (the data source's \"Maximum series\"): %s series the service sent were left out. A series leaves the frame once it has sent nothing for %s, which makes room; narrow the query to fewer series, or turn Live off",
			thousands(l.bounds.MaxSeries), thousands(l.leftOut), l.bounds.Idle)})
	}
	if l.future > 0 {
		out = append(out, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"%s points stamped more than %s after the plugin's clock were left out: the service's clock is ahead, or it answers past the end of the range it was asked for",
			thousands(l.future), FutureAllowance)})
	}
	if n := l.plainCount(); n > 0 {
		out = append(out, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"the alias (legend) would give the series of this live frame more than %d MB of names, above the limit for one frame: %s series show their own names; shorten the alias or narrow the query",
			frames.MaxDisplayNameBytes>>20, thousands(n))})
	}
	return out
}

// plainCount is the columns that show their own name instead of the
// alias's.
func (l *Layout) plainCount() int {
	n := 0
	for _, c := range l.cols {
		if c.plain {
			n++
		}
	}
	return n
}

// thousands writes n with comma separators, as people read counts.
func thousands(n int) string {
	s := strconv.Itoa(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
