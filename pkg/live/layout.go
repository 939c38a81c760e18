package live

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
)

// A live channel carries one frame, since Grafana's streaming frame is
// one frame per channel: timeseries-wide, a time field and a nullable
// value field per series. Grafana appends a data-only packet's values to
// its fields by position, and when a packet brings a new schema it keeps
// the values of the fields whose name and type did not change. So each
// value field is named by its series' key (name and labels), unique in
// the frame, and a series that appears mid-stream is a new field that
// leaves the others' values in place.

// column is one series of a channel's frame.
type column struct {
	key     string
	name    string
	labels  data.Labels
	display string
	// seen is the clock of the last cut that took a point of the series
	// (the poll's time, not the point's, so a service's clock cannot
	// keep a series or expire it): a series that has sent nothing for
	// Bounds.Idle leaves the frame.
	seen time.Time
	// plain is set when the column shows the series' own name because
	// the alias would have taken the frame's names past
	// frames.MaxDisplayNameBytes.
	plain bool
}

// Layout is the set of series a channel's frame carries, in key order,
// within its Bounds. A series that stops answering keeps its field, with
// nulls, so the fields of the frames already sent stay in place, until it
// has sent nothing for Bounds.Idle.
type Layout struct {
	alias  string
	bounds Bounds
	cols   []column
	index  map[string]int
	// step is the interval rows are aligned to, 0 while each row is a
	// timestamp as the service sent it (see rows in bounds.go). Once set it only
	// grows, so the rows already sent stay on its grid.
	step     time.Duration
	stepNote string
	// leftOut and future are the series and points the last cut left out,
	// for the frame's notices.
	leftOut, future int
	// names is the bytes of the alias-given names the columns hold, kept
	// within frames.MaxDisplayNameBytes as the non-live frames are.
	names int
}

// NewLayout starts the layout of a query's frame; alias is its legend.
// Without Bound it holds any number of series for ever.
func NewLayout(alias string) *Layout {
	return &Layout{alias: alias, index: map[string]int{}}
}

// Bound sets what the frame may hold and returns the layout.
func (l *Layout) Bound(b Bounds) *Layout {
	l.bounds = b
	return l
}

// seriesKey names a series uniquely within a frame: its name, then its
// labels in Grafana's sorted form.
func seriesKey(s *frames.Series) string {
	if len(s.Labels) == 0 {
		return s.Name
	}
	return s.Name + "{" + s.Labels.String() + "}"
}

// column makes a new series' column. Its legend is the alias filled in
// while the names the alias gives the frame stay within
// frames.MaxDisplayNameBytes (a short alias that repeats a long tag over
// many series would otherwise multiply the frame, and every packet that
// carries its schema); past that the series shows its own name, as in
// the non-live frames, and a notice says why.
func (l *Layout) column(p part, now time.Time) column {
	c := column{key: p.key, name: p.s.Name, labels: p.s.Labels, seen: now}
	if l.alias != "" {
		if size := frames.AliasSize(l.alias, p.s.Name, p.s.Labels); l.names+size <= frames.MaxDisplayNameBytes {
			l.names += size
			c.display = frames.ExpandAlias(l.alias, p.s.Name, p.s.Labels)
			return c
		}
		c.plain = true
	}
	c.display = ownName(p.s)
	return c
}

// ownName is a series' legend without an alias: its name with its labels
// as Grafana writes them.
func ownName(s *frames.Series) string {
	if len(s.Labels) == 0 {
		return s.Name
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, s.Labels[k])
	}
	return s.Name + " {" + strings.Join(parts, ", ") + "}"
}

// Cut is what one answer adds to a channel's frame.
type Cut struct {
	// Frame holds the points newer than the cut's start, a row per
	// timestamp (or per aligned interval) in ascending order.
	Frame *data.Frame
	// Newest is where the next cut starts: the newest time in Frame, or
	// the last nanosecond of its last interval when rows are aligned (the
	// start when it has no rows).
	Newest time.Time
	// SchemaChanged is set when the fields or the notices of the frames
	// sent so far changed: a series joined or left, or points began or
	// stopped being aligned or left out.
	SchemaChanged bool
	// Late counts points older than the start: they arrived after newer
	// points were sent, and a stream only appends.
	Late int
	// Future counts points stamped more than FutureAllowance after now,
	// left out so that they never become the stream's newest.
	Future int
}

// part is the new points of one series of an answer: indices [lo, hi)
// of its points, and its column (-1 when it was left out).
type part struct {
	s      *frames.Series
	key    string
	lo, hi int
	col    int
}

// Cut adds the answer's series to the layout and returns the frame of
// its points newer than after (all points when after is zero) and not
// ahead of now by more than FutureAllowance. Points at exactly after were
// sent already (services answer ranges inclusively); earlier ones are
// late. now is also the clock for expiry and for the aligned intervals
// that have ended.
func (l *Layout) Cut(ans *frames.Answer, after, now time.Time) Cut {
	out := Cut{Newest: after}
	until := now.Add(FutureAllowance)
	parts := make([]part, 0, len(ans.Series))
	for _, s := range ans.Series {
		n := s.Time.Len()
		at := func(i int) time.Time { return *(s.Time.PointerAt(i).(*time.Time)) }
		// Points are in time order (the decoder sorts them).
		late := sort.Search(n, func(i int) bool { return !at(i).Before(after) })
		lo := sort.Search(n, func(i int) bool { return at(i).After(after) })
		hi := sort.Search(n, func(i int) bool { return at(i).After(until) })
		hi = max(hi, lo)
		out.Late += late
		out.Future += n - hi
		if hi > lo {
			parts = append(parts, part{s: s, key: seriesKey(s), lo: lo, hi: hi})
		}
	}
	notes := l.noteKinds()
	changed := l.expire(now)
	changed = l.admit(parts, now) || changed
	l.future = out.Future

	rows := l.rows(parts, after, now)
	cells := l.alloc(rows)
	l.fill(cells, rows, parts, now)
	if len(rows) > 0 {
		out.Newest = time.Unix(0, rows[len(rows)-1]).UTC()
		if l.step > 0 {
			out.Newest = out.Newest.Add(l.step - 1)
		}
	}
	out.SchemaChanged = changed || notes != l.noteKinds()
	times := make([]time.Time, len(rows))
	for i, ns := range rows {
		times[i] = time.Unix(0, ns).UTC()
	}
	out.Frame = l.frame(times, cells)
	return out
}

// expire drops the columns whose series sent nothing for Bounds.Idle; it
// reports whether any left.
func (l *Layout) expire(now time.Time) bool {
	if l.bounds.Idle <= 0 {
		return false
	}
	kept := l.cols[:0]
	for _, c := range l.cols {
		if now.Sub(c.seen) <= l.bounds.Idle {
			kept = append(kept, c)
		} else if l.alias != "" && !c.plain {
			l.names -= len(c.display)
		}
	}
	if len(kept) == len(l.cols) {
		return false
	}
	clear(l.cols[len(kept):])
	l.cols = kept
	l.reindex()
	return true
}

// admit gives each part its column, adding the new series in key order
// while the frame has room under Bounds.MaxSeries and counting the rest
// as left out; it reports whether series joined.
func (l *Layout) admit(parts []part, now time.Time) bool {
	var fresh []int
	for i := range parts {
		if _, ok := l.index[parts[i].key]; !ok {
			fresh = append(fresh, i)
		}
	}
	slices.SortFunc(fresh, func(a, b int) int { return strings.Compare(parts[a].key, parts[b].key) })
	l.leftOut = 0
	added := false
	for _, i := range fresh {
		p := parts[i]
		if _, ok := l.index[p.key]; ok {
			continue // the same series twice in one answer
		}
		if l.bounds.MaxSeries > 0 && len(l.cols) >= l.bounds.MaxSeries {
			l.leftOut++
			continue
		}
		l.cols = append(l.cols, l.column(p, now))
		l.index[p.key] = -1
		added = true
	}
	if added {
		slices.SortFunc(l.cols, func(a, b column) int { return strings.Compare(a.key, b.key) })
		l.reindex()
	}
	for i := range parts {
		c, ok := l.index[parts[i].key]
		if !ok {
			c = -1
		}
		parts[i].col = c
	}
	return added
}

func (l *Layout) reindex() {
	clear(l.index)
	for i, c := range l.cols {
		l.index[c.key] = i
	}
}

// alloc makes the value cells of rows for every column, nil for null,
// in one block: rows() bounds rows × columns before this allocates.
func (l *Layout) alloc(rows []int64) [][]*float64 {
	cells := make([][]*float64, len(l.cols))
	flat := make([]*float64, len(rows)*len(l.cols))
	for c := range cells {
		cells[c] = flat[c*len(rows) : (c+1)*len(rows) : (c+1)*len(rows)]
	}
	return cells
}

// fill puts each new point's value in its series' cell of its row, all
// values in one slab; when rows are aligned, the last value of an
// interval wins. A series that filled a cell was seen now.
func (l *Layout) fill(cells [][]*float64, rows []int64, parts []part, now time.Time) {
	if len(rows) == 0 {
		return
	}
	slab := make([]float64, 0, admitted(parts))
	for _, p := range parts {
		if p.col < 0 {
			continue
		}
		col, seen := cells[p.col], false
		for i := p.lo; i < p.hi; i++ {
			t := *(p.s.Time.PointerAt(i).(*time.Time))
			r, ok := slices.BinarySearch(rows, l.rowOf(t.UnixNano()))
			if !ok {
				continue // late, or in an interval that has not ended
			}
			seen = true
			if v, ok := p.s.ValueAt(i); ok {
				slab = append(slab, v)
				col[r] = &slab[len(slab)-1]
			}
		}
		if seen {
			l.cols[p.col].seen = now
		}
	}
}

// Schema is the frame of the layout without rows, what a subscriber
// needs before the first data-only packet.
func (l *Layout) Schema() *data.Frame {
	return l.frame([]time.Time{}, l.alloc(nil))
}

// NoticeFrame is a frame without series that carries only an error
// notice, for a stream that cannot run: Grafana shows it on the panel.
func NoticeFrame(text string) *data.Frame {
	f := NewLayout("").Schema()
	f.AppendNotices(data.Notice{Severity: data.NoticeSeverityError, Text: text})
	return f
}

func (l *Layout) frame(times []time.Time, values [][]*float64) *data.Frame {
	fields := make([]*data.Field, 0, len(l.cols))
	for c, col := range l.cols {
		f := data.NewField(col.key, col.labels, values[c])
		f.Config = &data.FieldConfig{DisplayNameFromDS: col.display}
		fields = append(fields, f)
	}
	// Notices travel with the schema only; a cut that changes them says
	// so (SchemaChanged), so the panel always shows the current ones.
	return frames.WideFrame("", data.NewField(data.TimeSeriesTimeFieldName, nil, times), fields, l.notices())
}

// clone copies the layout, so a query's answer can register its own while
// a stream works on another.
func (l *Layout) clone() *Layout {
	c := *l
	c.cols = slices.Clone(l.cols)
	c.index = make(map[string]int, len(l.index))
	for k, v := range l.index {
		c.index[k] = v
	}
	return &c
}
