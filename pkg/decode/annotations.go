package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
)

// DecodeAnnotations reads the answer of POST /annotations (SimpleJSON):
// [{"time", "timeEnd", "title", "text", "tags"}]. Servers in the wild send
// times as floats (1795903749000.0) or numeric strings, leave out title,
// echo the annotation back (as an object or a string), send tags as a
// list or as a comma-separated string, and repeat an event: none of that
// is an error; repeats are kept once.
func DecodeAnnotations(endpoint string, body []byte) ([]contract.Annotation, error) {
	return ReadAnnotations(endpoint, bytes.NewReader(body), contract.ListLimits{})
}

// eventsNarrow says how to ask for fewer events.
const eventsNarrow = "a shorter time range or a more specific annotation query"

// ReadAnnotations reads what DecodeAnnotations reads, as it streams,
// within lim (events, bytes of one value, tags of one event).
func ReadAnnotations(endpoint string, r io.Reader, lim contract.ListLimits) ([]contract.Annotation, error) {
	lr := newListReader(endpoint, `an array of {"time", "title", "text", "tags"} events`, r, lim)
	lr.what, lr.narrow = "events", eventsNarrow
	out := []contract.Annotation{}
	err := lr.each(false, func(i int) error {
		switch lr.s.PeekKind() {
		case 'n':
			return lr.failed(lr.s.SkipValue())
		case '{':
		default:
			raw, err := lr.raw()
			if err != nil {
				return err
			}
			return fmt.Errorf("%s: event %d must be an object with \"time\", got %s", endpoint, i, lr.quote(raw, 40))
		}
		if err := lr.addItem(); err != nil {
			return err
		}
		fields, err := lr.object(nil)
		if err != nil {
			if _, limit := err.(*contract.LimitError); limit {
				return err
			}
			return fmt.Errorf("%s: event %d: %w", endpoint, i, err)
		}
		a, err := lr.readAnnotation(fields, "text")
		if err != nil {
			if _, limit := err.(*contract.LimitError); limit {
				return err
			}
			return fmt.Errorf("%s: event %d: %w", endpoint, i, err)
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dedupe(out), nil
}

// DecodeAnnotationTables reads the answer of POST /query to an annotation
// query (the JSON datasource's way): tables {"columns", "rows"} and frames
// {"fields"} whose columns are named time, timeEnd, title, text, tags and
// id (any case), the text from the first column of strings when none is
// named text. A time series cannot be an event list, so it is an error
// that says what to send.
func DecodeAnnotationTables(endpoint string, body []byte) ([]contract.Annotation, error) {
	return ReadAnnotationTables(endpoint, bytes.NewReader(body), contract.ListLimits{})
}

// ReadAnnotationTables reads what DecodeAnnotationTables reads, as it
// streams, within lim: rows are events, and cells count as cells. The
// tables and frames are read by pkg/frames' ItemReader, the reader of
// panels' tables, so an answer reads the same on both paths. Fields map
// as Grafana's standard annotation processing maps them: time, timeEnd,
// title, tags and id by name, text as textColumn picks it.
func ReadAnnotationTables(endpoint string, r io.Reader, lim contract.ListLimits) ([]contract.Annotation, error) {
	lr := newListReader(endpoint, `an array of tables or frames with a "time" column`, r, lim)
	lr.what, lr.narrow = "events", eventsNarrow
	items := frames.NewItemReader(lr.s, frames.ItemLimits{
		Cells: lr.lim.Cells, CellsWhat: "table cells", Narrow: lr.narrow, CellBytes: lr.lim.ItemBytes,
		Rows: lr.lim.Items, RowsWhat: lr.what,
	})
	// With a column named text, the columns no event reads are skipped
	// unread; without one, the text may be any column of strings, known
	// only from its cells (textColumn).
	items.SkipColumns(func(names []string) []bool {
		named := slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, "text") })
		skip := make([]bool, len(names))
		for c, n := range names {
			skip[c] = named && !eventColumn(n)
		}
		return skip
	})
	out := []contract.Annotation{}
	err := lr.each(false, func(i int) error {
		if lr.s.PeekKind() == 'n' {
			return lr.failed(lr.s.SkipValue())
		}
		if lr.s.PeekKind() != '{' {
			raw, err := lr.raw()
			if err != nil {
				return err
			}
			return fmt.Errorf("%s: item %d must be a table or a frame, got %s", endpoint, i, lr.quote(raw, 40))
		}
		var err error
		out, err = lr.eventTable(items, out)
		if err != nil {
			if _, limit := err.(*contract.LimitError); limit {
				return err
			}
			return fmt.Errorf("%s: item %d: %w", endpoint, i, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dedupe(out), nil
}

// eventTable reads one table or frame of events and appends them.
func (lr *listReader) eventTable(items *frames.ItemReader, out []contract.Annotation) ([]contract.Annotation, error) {
	item, err := items.Read(nil)
	switch {
	case err != nil:
		return nil, lr.itemError(err)
	case item.Table != nil:
		return lr.appendRows(out, item.Table.Names, item.Table.Columns)
	case item.Series:
		return nil, fmt.Errorf(`it is a time series; an annotation query must answer a table or a frame with a "time" column and optional "timeEnd", "title", "text" and "tags"`)
	}
	return nil, fmt.Errorf(`it has none of "columns" (table), "fields" or "schema" (frame), or "datapoints"`)
}

// appendRows reads one event per row of named columns.
func (lr *listReader) appendRows(out []contract.Annotation, names []string, columns [][]json.RawMessage) ([]contract.Annotation, error) {
	if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, "time") }) {
		return nil, fmt.Errorf(`no "time" column (the columns are %q); an annotation needs "time", and may have "timeEnd", "title", "text" and "tags"`, names)
	}
	text := textColumn(names, columns)
	rows := 0
	for _, c := range columns {
		rows = max(rows, len(c))
	}
	for r := range rows {
		fields := make(map[string]json.RawMessage, len(names))
		for c, name := range names {
			if r < len(columns[c]) {
				fields[name] = columns[c][r]
			}
		}
		a, err := lr.readAnnotation(fields, text)
		if err != nil {
			if _, limit := err.(*contract.LimitError); limit {
				return nil, err
			}
			return nil, fmt.Errorf("row %d: %w", r, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// eventColumn tells the columns an event reads by name.
func eventColumn(name string) bool {
	for _, n := range []string{"time", "timeEnd", "title", "text", "tags", "id"} {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// textColumn names the column an event's text comes from, as Grafana's
// standard annotation processing picks it for a data source's frames: a
// column named "text", else the first column of strings other than the
// times. A server that answers "Time, Country, Number" gets its countries
// drawn, as Grafana draws them; a table with no such column has events
// without text, as in Grafana.
func textColumn(names []string, columns [][]json.RawMessage) string {
	for _, n := range names {
		if strings.EqualFold(n, "text") {
			return n
		}
	}
	for c, n := range names {
		if strings.EqualFold(n, "time") || strings.EqualFold(n, "timeEnd") {
			continue
		}
		for _, cell := range columns[c] {
			if k := firstByte(cell); k != 'n' && k != 0 {
				if k == '"' {
					return n
				}
				break
			}
		}
	}
	return "text"
}

// readAnnotation reads one event from its fields, matching names in any
// case, as encoding/json does; its text from the field named text (see
// textColumn). Fields it does not know ("annotation", "regionId") are
// ignored.
func (lr *listReader) readAnnotation(fields map[string]json.RawMessage, text string) (contract.Annotation, error) {
	get := func(name string) json.RawMessage {
		if v, ok := fields[name]; ok {
			return v
		}
		for k, v := range fields {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return nil
	}
	var a contract.Annotation
	var err error
	if a.Time, err = epochMillis(get("time")); err != nil {
		return a, fmt.Errorf("time: %w", err)
	}
	if a.Time == 0 {
		return a, fmt.Errorf(`"time" is missing or null; every event needs one (epoch milliseconds or RFC3339)`)
	}
	if a.TimeEnd, err = epochMillis(get("timeEnd")); err != nil {
		return a, fmt.Errorf("timeEnd: %w", err)
	}
	a.Title, a.Text, a.ID = optionText(get("title")), optionText(get(text)), optionText(get("id"))
	if a.Tags, err = tags(get("tags")); err != nil {
		return a, err
	}
	if len(a.Tags) > lr.lim.EventTags.Max {
		return a, &contract.LimitError{What: "tags in one event", Limit: lr.lim.EventTags, Narrow: "a more specific annotation query, or fewer tags on each event at the service"}
	}
	return a, nil
}

// Times an event may have: the years 1678 to 2262, which time.Time and
// Grafana's nanosecond frames can hold.
var (
	minEventTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxEventTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

// epochMillis reads a time given as epoch milliseconds (an integer, a
// float or a numeric string) or as an RFC3339 string. Absent and null
// read as 0.
func epochMillis(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	text := string(raw)
	var ms float64
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, err
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return 0, nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, text); err == nil && raw[0] == '"' {
		ms = float64(t.UnixMilli())
	} else {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			got := string(raw)
			if len(got) > 40 {
				got = got[:40] + "..."
			}
			return 0, fmt.Errorf("want epoch milliseconds or an RFC3339 time, got %s", got)
		}
		ms = math.Round(f)
	}
	// Checked as a float: a huge number would not convert to int64.
	if ms < float64(minEventTime) || ms > float64(maxEventTime) {
		return 0, fmt.Errorf("%s is not a time between the years 1678 and 2262", contract.Snippet(raw, 40))
	}
	return int64(ms), nil
}

// tags reads a list of tags, or one comma-separated string of them.
func tags(raw json.RawMessage) ([]string, error) {
	out := []string{}
	switch firstByte(raw) {
	case 0, 'n':
		return out, nil
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("tags: %v", err)
		}
		for _, t := range list {
			if s := strings.TrimSpace(optionText(t)); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	case '"':
		for _, t := range strings.Split(optionText(raw), ",") {
			if s := strings.TrimSpace(t); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("tags must be a list of strings or a comma-separated string, got %s", contract.Snippet(raw, 40))
}

// dedupe drops repeats of an event, keeping the first: a service that
// answers the same event twice would draw two markers on top of each
// other.
func dedupe(in []contract.Annotation) []contract.Annotation {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, a := range in {
		key := fmt.Sprintf("%d\x00%d\x00%s\x00%s\x00%s\x00%q", a.Time, a.TimeEnd, a.ID, a.Title, a.Text, a.Tags)
		if !seen[key] {
			seen[key] = true
			out = append(out, a)
		}
	}
	return out
}
