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
// streams, within lim: rows are events, and the cells of the columns it
// keeps count as cells. Fields map as Grafana's standard annotation
// processing maps them: time, timeEnd, title, tags and id by name, text
// as textColumn picks it. In a table with a column named text, the
// columns no event reads are skipped unread when their names come before
// the rows, as services send them.
func ReadAnnotationTables(endpoint string, r io.Reader, lim contract.ListLimits) ([]contract.Annotation, error) {
	lr := newListReader(endpoint, `an array of tables or frames with a "time" column`, r, lim)
	lr.what, lr.narrow = "events", eventsNarrow
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
		out, err = lr.eventTable(out)
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
func (lr *listReader) eventTable(out []contract.Annotation) ([]contract.Annotation, error) {
	// A frame's fields are all kept: which one holds the text is known
	// only once their cells are read (textColumn).
	f := frame{}
	var (
		decls     []json.RawMessage
		hasCols   bool
		names     []string
		keep      []bool
		columns   [][]json.RawMessage
		heldRows  [][]json.RawMessage
		hasRows   bool
		series    bool
		rowsError error
	)
	declare := func() {
		names = columnNames(decls)
		// With a column named text, the others no event reads are
		// skipped unread; without one, the text may be any column of
		// strings, known only from its cells (textColumn).
		named := slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, "text") })
		keep = make([]bool, len(names))
		for c, n := range names {
			keep[c] = !named || eventColumn(n)
		}
		columns = make([][]json.RawMessage, len(names))
	}
	rows := 0
	_, err := lr.object(func(name string) (bool, error) {
		switch name {
		case "columns":
			hasCols = true
			decls = nil
			err := lr.array(func(int) error {
				if err := lr.addMember(); err != nil {
					return err
				}
				d, err := lr.raw()
				decls = append(decls, d)
				return err
			})
			if err == nil && !hasRows {
				declare()
			}
			return true, err
		case "rows":
			hasRows = true
			return true, lr.array(func(r int) error {
				if err := lr.addItem(); err != nil {
					return err
				}
				rows++
				var row []json.RawMessage
				n := 0
				err := lr.array(func(c int) error {
					n++
					if err := lr.addMember(); err != nil {
						return err
					}
					if names != nil && (c >= len(names) || !keep[c]) {
						return lr.failed(lr.s.SkipValue())
					}
					cell, err := lr.raw()
					if names != nil {
						columns[c] = append(columns[c], cell)
					} else {
						row = append(row, cell)
					}
					return err
				})
				if err != nil {
					return err
				}
				if names != nil && n != len(names) && rowsError == nil {
					rowsError = fmt.Errorf("row %d has %d cells for %d columns", r, n, len(names))
				}
				if names == nil {
					heldRows = append(heldRows, row)
				}
				return nil
			})
		case "datapoints":
			series = true
			return true, lr.failed(lr.s.SkipValue())
		}
		if handled, err := lr.frameMember(&f, name); handled {
			return true, err
		}
		return true, lr.failed(lr.s.SkipValue())
	})
	switch {
	case err != nil:
		return nil, err
	case hasCols:
		if names == nil {
			declare()
			for r, row := range heldRows {
				if len(row) != len(names) {
					return nil, fmt.Errorf("row %d has %d cells for %d columns", r, len(row), len(names))
				}
				for c, cell := range row {
					columns[c] = append(columns[c], cell)
				}
			}
		}
		if rowsError != nil {
			return nil, rowsError
		}
	case f.hasFields || f.hasSchema:
		names, columns = f.columns()
		// A frame's events are its longest column's cells.
		for _, c := range columns {
			rows = max(rows, len(c))
		}
		if lr.items += rows; lr.items > lr.lim.Items.Max {
			return nil, &contract.LimitError{What: lr.what, Limit: lr.lim.Items, Narrow: lr.narrow}
		}
	case series:
		return nil, fmt.Errorf(`it is a time series; an annotation query must answer a table or a frame with a "time" column and optional "timeEnd", "title", "text" and "tags"`)
	default:
		return nil, fmt.Errorf(`it has none of "columns", "fields" or "datapoints"`)
	}
	return lr.appendRows(out, names, columns)
}

// columnNames reads a table's column declarations: {"text"} objects or
// bare names.
func columnNames(decls []json.RawMessage) []string {
	names := make([]string, len(decls))
	for i, c := range decls {
		var col struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(c, &col) != nil {
			col.Text = scalarText(c)
		}
		names[i] = col.Text
	}
	return names
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
