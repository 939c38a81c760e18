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

var wideVersion = data.FrameTypeVersion{0, 1}

// column is one series of a channel's frame.
type column struct {
	key     string
	name    string
	labels  data.Labels
	display string
}

// Layout is the set of series a channel's frame carries, in key order.
// A series is never dropped: one that stops answering keeps its field,
// with nulls, so the fields of the frames already sent stay in place.
type Layout struct {
	alias string
	cols  []column
	index map[string]int
}

// NewLayout starts the layout of a query's frame; alias is its legend.
func NewLayout(alias string) *Layout {
	return &Layout{alias: alias, index: map[string]int{}}
}

// seriesKey names a series uniquely within a frame: its name, then its
// labels in Grafana's sorted form.
func seriesKey(s *frames.Series) string {
	if len(s.Labels) == 0 {
		return s.Name
	}
	return s.Name + "{" + s.Labels.String() + "}"
}

// displayName is the legend of a series: the alias filled in, or the name
// with its labels as Grafana writes them.
func (l *Layout) displayName(s *frames.Series) string {
	if l.alias != "" {
		return frames.ExpandAlias(l.alias, s.Name, s.Labels)
	}
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

// add makes room for the answer's new series; it reports whether the
// schema changed.
func (l *Layout) add(series []*frames.Series) bool {
	changed := false
	for _, s := range series {
		k := seriesKey(s)
		if _, ok := l.index[k]; ok {
			continue
		}
		l.cols = append(l.cols, column{key: k, name: s.Name, labels: s.Labels, display: l.displayName(s)})
		l.index[k] = -1
		changed = true
	}
	if changed {
		slices.SortFunc(l.cols, func(a, b column) int { return strings.Compare(a.key, b.key) })
		for i, c := range l.cols {
			l.index[c.key] = i
		}
	}
	return changed
}

// Cut is what one answer adds to a channel's frame.
type Cut struct {
	// Frame holds the points newer than the cut's start, a row per
	// timestamp in ascending order.
	Frame *data.Frame
	// Newest is the newest time in Frame (the start when it has no rows).
	Newest time.Time
	// SchemaChanged is set when the answer brought a series the frames
	// sent so far did not have.
	SchemaChanged bool
	// Late counts points older than the start: they arrived after newer
	// points were sent, and a stream only appends.
	Late int
}

// Cut adds the answer's series to the layout and returns the frame of
// its points newer than after (all points when after is zero). Points at
// exactly after were sent already (services answer ranges inclusively);
// earlier ones are late.
func (l *Layout) Cut(ans *frames.Answer, after time.Time) Cut {
	out := Cut{Newest: after, SchemaChanged: l.add(ans.Series)}
	// The rows: every timestamp newer than after, once.
	var stamps []int64
	for _, s := range ans.Series {
		for i := 0; i < s.Time.Len(); i++ {
			t := s.Time.At(i).(time.Time)
			switch {
			case after.IsZero() || t.After(after):
				stamps = append(stamps, t.UnixNano())
			case t.Before(after):
				out.Late++
			}
		}
	}
	slices.Sort(stamps)
	stamps = slices.Compact(stamps)
	row := make(map[int64]int, len(stamps))
	times := make([]time.Time, len(stamps))
	for i, ns := range stamps {
		row[ns] = i
		times[i] = time.Unix(0, ns).UTC()
	}
	values := make([][]*float64, len(l.cols))
	for c := range values {
		values[c] = make([]*float64, len(stamps))
	}
	for _, s := range ans.Series {
		col := values[l.index[seriesKey(s)]]
		for i := 0; i < s.Time.Len(); i++ {
			r, ok := row[s.Time.At(i).(time.Time).UnixNano()]
			if !ok {
				continue
			}
			if v, ok := s.ValueAt(i); ok {
				col[r] = &v
			}
		}
	}
	if len(times) > 0 {
		out.Newest = times[len(times)-1]
	}
	out.Frame = l.frame(times, values)
	return out
}

// Schema is the frame of the layout without rows, what a subscriber
// needs before the first data-only packet.
func (l *Layout) Schema() *data.Frame {
	values := make([][]*float64, len(l.cols))
	for c := range values {
		values[c] = []*float64{}
	}
	return l.frame([]time.Time{}, values)
}

// NoticeFrame is a frame without series that carries only an error
// notice, for a stream that cannot run: Grafana shows it on the panel.
func NoticeFrame(text string) *data.Frame {
	f := NewLayout("").Schema()
	f.AppendNotices(data.Notice{Severity: data.NoticeSeverityError, Text: text})
	return f
}

func (l *Layout) frame(times []time.Time, values [][]*float64) *data.Frame {
	fields := make([]*data.Field, 0, len(l.cols)+1)
	fields = append(fields, data.NewField(data.TimeSeriesTimeFieldName, nil, times))
	for c, col := range l.cols {
		f := data.NewField(col.key, col.labels, values[c])
		f.Config = &data.FieldConfig{DisplayNameFromDS: col.display}
		fields = append(fields, f)
	}
	return data.NewFrame("", fields...).SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: wideVersion})
}

// clone copies the layout, so a query's answer can register its own while
// a stream works on another.
func (l *Layout) clone() *Layout {
	c := &Layout{alias: l.alias, cols: slices.Clone(l.cols), index: make(map[string]int, len(l.index))}
	for k, v := range l.index {
		c.index[k] = v
	}
	return c
}
