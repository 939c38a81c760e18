// Package frames turns answers of the in-house metrics contract into
// Grafana data frames that follow the data plane contract: one
// timeseries-multi frame per series (or one timeseries-wide frame for
// series that share their timestamps, see wide.go), and table frames for
// tables.
package frames

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Options says how one query's answer becomes frames.
type Options struct {
	// Alias is the legend template; {{key}} is replaced by the series' tag
	// of that name, {{target}} (or {{metric}}) by the series name.
	Alias string
	// ExecutedQuery is shown in the query inspector.
	ExecutedQuery string
	// MaxDataPoints is what Grafana asked for, to flag answers far above it.
	MaxDataPoints int64
	// ForAlerting is set for alert rules, which cannot evaluate tables:
	// Frames then returns ErrTableInAlert for an answer that holds any.
	ForAlerting bool
	// AsTable shows time series as one long table (time, metric, one
	// column per tag, value), for the table format.
	AsTable bool
	// Downsample reduces each series to at most MaxDataPoints points (see
	// downsample.go), for time series panels only: an alert rule must
	// evaluate every point, and the table format shows the rows as sent.
	Downsample bool
	// Wide asks for one timeseries-wide frame instead of a multi frame per
	// series, for answers whose series share their timestamps; any other
	// answer goes out as multi frames with a notice saying why. Alert
	// rules get it too: they read wide frames as well.
	Wide bool
}

// ErrTableInAlert is returned for a table answer in an alert rule.
var ErrTableInAlert = errors.New("this query returns a table, which alert rules cannot evaluate; set Format to \"Time series\" or pick a metric that returns time series")

// maxNotices keeps a pathological answer from flooding the panel header.
const maxNotices = 10

// AppendWarnings adds texts to f as warnings, at most maxNotices of them
// and then one saying how many more there were: every frame the plugin
// builds, live ones too, caps its notices here.
func AppendWarnings(f *data.Frame, texts []string) {
	for i, n := range texts {
		if i == maxNotices {
			f.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("and %d more notices", len(texts)-i)})
			return
		}
		f.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: n})
	}
}

var (
	multiVersion = data.FrameTypeVersion{0, 1}
	tableVersion = data.FrameTypeVersion{0, 1}
)

// Frames converts the answer. Frames carry the data plane type and
// version, the executed query string and notices (on the first frame).
func (a *Answer) Frames(opts Options) (data.Frames, error) {
	if opts.ForAlerting && len(a.Tables) > 0 {
		return nil, ErrTableInAlert
	}
	out := make(data.Frames, 0, len(a.Series)+len(a.Tables))
	series := a.Series
	var reduced downsampleNote
	if opts.Downsample && !opts.ForAlerting && !opts.AsTable && opts.MaxDataPoints > 0 {
		series, reduced = downsampleAll(a.Series, int(min(opts.MaxDataPoints, math.MaxInt32)))
	}
	// Decided after downsampling: it is the reduced series that go out.
	var fallback string
	wide := opts.Wide && !opts.AsTable && len(series) > 0
	if wide {
		if fallback = timesDiffer(series); fallback != "" {
			wide = false
		}
	}
	alias := opts.Alias
	var legends string
	if alias != "" && !opts.AsTable {
		if size, ok := aliasFits(alias, series); !ok {
			alias = ""
			legends = fmt.Sprintf("the alias (legend) would give the %d series of this answer more than %d MB of names (%s bytes so far), above the %d MB limit for one answer; the series show their own names: shorten the alias or narrow the query", len(series), MaxDisplayNameBytes>>20, contract.Thousands(size), MaxDisplayNameBytes>>20)
		}
	}
	if wide {
		out = append(out, wideFrame(series, alias))
	}
	tooMany := 0
	// Frames after the first share one FrameMeta: only the first carries
	// the executed query and the notices, and a wide answer then holds
	// one meta, not one per series.
	var shared *data.FrameMeta
	for _, s := range series {
		if !opts.AsTable && !wide {
			var meta *data.FrameMeta
			if len(out) > 0 {
				if shared == nil {
					shared = multiMeta()
				}
				meta = shared
			}
			out = append(out, s.frame(alias, meta))
		}
		if opts.MaxDataPoints > 0 && int64(s.Time.Len()) > 2*opts.MaxDataPoints {
			tooMany++
		}
	}
	if opts.AsTable && len(series) > 0 {
		out = append(out, longTable(series))
	}
	for _, t := range a.Tables {
		out = append(out, t.Frame())
	}
	if len(out) == 0 {
		// An empty answer is still a typed frame, so alerting reads it as
		// "no data" and the inspector shows what was sent.
		out = append(out, data.NewFrame("").SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: multiVersion}))
	}

	var notices []string
	if legends != "" {
		notices = append(notices, legends)
	}
	if reduced.series > 0 {
		// First, so the cut to maxNotices never hides that points are gone.
		notices = append(notices, reduced.String())
	}
	notices = append(notices, a.Notices...)
	if tooMany > 0 {
		notices = append(notices, tooManyPoints(tooMany, opts.MaxDataPoints))
	}
	first := out[0]
	first.Meta.ExecutedQueryString = opts.ExecutedQuery
	AppendWarnings(first, notices)
	if fallback != "" {
		// Info, not a warning: the data is whole, only its layout differs.
		first.AppendNotices(data.Notice{Severity: data.NoticeSeverityInfo, Text: fallbackNotice(fallback, reduced.series > 0)})
	}
	return out, nil
}

// Frame returns the series as a timeseries-multi frame: a time field and a
// float64 value field (nullable if it has nulls) named after the series,
// its tags as labels.
// The frame gets its own Field structs sharing the series' values, so one
// answer can serve several queries (coalesced calls) with different
// legends, without copying points.
func (s *Series) Frame(alias string) *data.Frame { return s.frame(alias, nil) }

// frame is Frame with the given meta, or its own when meta is nil.
func (s *Series) frame(alias string, meta *data.FrameMeta) *data.Frame {
	if meta == nil {
		meta = multiMeta()
	}
	timeField := *s.Time
	return data.NewFrame(s.Name, &timeField, s.valueField(alias)).SetMeta(meta)
}

func multiMeta() *data.FrameMeta {
	return &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: multiVersion}
}

// valueField is the series' value field as a frame of either layout
// carries it: named after the series, its tags as labels, the legend
// template expanded.
func (s *Series) valueField(alias string) *data.Field {
	valueField := *s.Value
	valueField.Name = s.Name
	valueField.Labels = s.Labels
	valueField.Config = nil
	if alias != "" {
		valueField.Config = &data.FieldConfig{DisplayNameFromDS: ExpandAlias(alias, s.Name, s.Labels)}
	}
	return &valueField
}

// Frame returns the table as a table frame, with its own Field structs
// for the same reason as Series.Frame.
func (t *Table) Frame() *data.Frame {
	fields := make([]*data.Field, len(t.Fields))
	for i, f := range t.Fields {
		cp := *f
		fields[i] = &cp
	}
	return data.NewFrame(t.Name, fields...).SetMeta(&data.FrameMeta{
		Type:        data.FrameTypeTable,
		TypeVersion: tableVersion,
	})
}

// MaxDisplayNameBytes bounds the names an alias gives the series of one
// answer, all together. Each name goes out in its frame's field config,
// which is encoded again at every step to the browser, so a long alias
// times many series (or a short one that repeats a long tag) multiplies
// the answer; past the bound the series keep their own names, which the
// answer already holds.
const MaxDisplayNameBytes = 16 << 20

// aliasFits adds up the names the alias gives the series, without
// building them, and stops once they pass MaxDisplayNameBytes.
func aliasFits(alias string, series []*Series) (size int, ok bool) {
	if !strings.Contains(alias, "{{") {
		if len(series) > 0 && len(alias) > MaxDisplayNameBytes/len(series) {
			return len(alias) * len(series), false
		}
		return len(alias) * len(series), true
	}
	matches := aliasPattern.FindAllStringSubmatchIndex(alias, -1)
	for _, s := range series {
		size += aliasSize(alias, matches, s.Name, s.Labels)
		if size > MaxDisplayNameBytes {
			return size, false
		}
	}
	return size, true
}

// AliasSize is the length of ExpandAlias(alias, name, labels), counted
// without building it, so a caller that adds series one at a time (a live
// frame) can keep their names within MaxDisplayNameBytes.
func AliasSize(alias, name string, labels data.Labels) int {
	if !strings.Contains(alias, "{{") {
		return len(alias)
	}
	return aliasSize(alias, aliasPattern.FindAllStringSubmatchIndex(alias, -1), name, labels)
}

func aliasSize(alias string, matches [][]int, name string, labels data.Labels) int {
	size := len(alias)
	for _, m := range matches {
		size += len(aliasValue(alias[m[2]:m[3]], name, labels)) - (m[1] - m[0])
	}
	return size
}

var aliasPattern = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// ExpandAlias fills a legend template. Unknown keys become empty, as in
// Grafana's own data sources.
func ExpandAlias(alias, name string, labels data.Labels) string {
	if !strings.Contains(alias, "{{") {
		return alias
	}
	return aliasPattern.ReplaceAllStringFunc(alias, func(m string) string {
		return aliasValue(aliasPattern.FindStringSubmatch(m)[1], name, labels)
	})
}

// aliasValue is what {{key}} stands for in a series' legend.
func aliasValue(key, name string, labels data.Labels) string {
	if v, ok := labels[key]; ok {
		return v
	}
	switch key {
	case "target", "metric", "__name__":
		return name
	}
	return ""
}

// longTable puts series in one table: a row per point with its time, the
// series name, a column per tag key (sorted) and the value.
func longTable(series []*Series) *data.Frame {
	keySet := map[string]bool{}
	rows := 0
	for _, s := range series {
		for k := range s.Labels {
			keySet[k] = true
		}
		rows += s.Time.Len()
	}
	keys := make([]string, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	times := make([]time.Time, 0, rows)
	metrics := make([]string, 0, rows)
	values := make([]*float64, 0, rows)
	tags := make([][]string, len(keys))
	for _, s := range series {
		for i := 0; i < s.Time.Len(); i++ {
			times = append(times, s.Time.At(i).(time.Time))
			metrics = append(metrics, s.Name)
			var value *float64
			if v, ok := s.ValueAt(i); ok {
				value = &v
			}
			values = append(values, value)
			for k, key := range keys {
				tags[k] = append(tags[k], s.Labels[key])
			}
		}
	}
	fields := []*data.Field{data.NewField("Time", nil, times), data.NewField("Metric", nil, metrics)}
	for k, key := range keys {
		fields = append(fields, data.NewField(key, nil, tags[k]))
	}
	fields = append(fields, data.NewField("Value", nil, values))
	return data.NewFrame("", fields...).SetMeta(&data.FrameMeta{Type: data.FrameTypeTable, TypeVersion: tableVersion})
}

// tooManyPoints is the notice for series the service did not aggregate.
func tooManyPoints(series int, maxDataPoints int64) string {
	which := fmt.Sprintf("%d series have", series)
	if series == 1 {
		which = "1 series has"
	}
	return fmt.Sprintf("%s more than twice the %d points Grafana asked for (maxDataPoints); all points are shown, but the service should aggregate to intervalMs", which, maxDataPoints)
}
