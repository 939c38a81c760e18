package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// printable is text from the service or the plugin as a terminal should
// get it: control characters (C0, DEL, C1, and the bidirectional overrides
// that reorder what is shown) and bytes that are not UTF-8 are written as
// escapes (\x1b, \u009b), so a series name cannot set the window title
// (ESC ] 0 ; ... BEL), clear the screen (ESC [ 2 J), write the clipboard
// (OSC 52) or start a line of its own. Every command prints service text
// through it.
func printable(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&sb, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

func printHealth(w io.Writer, res *backend.CheckHealthResult) {
	mark := "OK   "
	if res.Status != backend.HealthStatusOk {
		mark = "ERROR"
	}
	fmt.Fprintf(w, "Save & test: %s %s\n", mark, printable(withFlags(res.Message)))
}

// printNotice prints a frame's notice, for query and query --follow.
func printNotice(w io.Writer, refID, text string) {
	fmt.Fprintf(w, "[%s] notice: %s\n", refID, printable(withFlags(text)))
}

// printError is the one line a failed command ends with: errors from the
// plugin or the system can span lines, and may quote the service.
func printError(w io.Writer, err error) {
	fmt.Fprintln(w, "error: "+printable(strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")))
}

// printResponse prints one query's frames: a line per series with a
// sparkline, or the table's rows.
func printResponse(w io.Writer, refID string, r backend.DataResponse) {
	if r.Error != nil {
		fmt.Fprintf(w, "[%s] error (status %d, source %s): %s\n", refID, r.Status, r.ErrorSource, printable(withFlags(r.Error.Error())))
		return
	}
	for _, f := range r.Frames {
		if f.Meta != nil {
			for _, n := range f.Meta.Notices {
				printNotice(w, refID, n.Text)
			}
		}
		if f.Meta != nil && f.Meta.Type == data.FrameTypeTable {
			printTable(w, refID, f)
			continue
		}
		if len(f.Fields) < 2 {
			fmt.Fprintf(w, "[%s] no data\n", refID)
			continue
		}
		printSeries(w, refID, f)
	}
}

// printSeries prints a line per value field: one for each frame of the
// multi format, one for each series of a live query's wide frame.
func printSeries(w io.Writer, refID string, f *data.Frame) {
	for _, v := range f.Fields[1:] {
		vals := make([]float64, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			if p, err := v.NullableFloatAt(i); err == nil && p != nil {
				vals = append(vals, *p)
			}
		}
		last := math.NaN()
		if len(vals) > 0 {
			last = vals[len(vals)-1]
		}
		name, lbl := displayName(v), labels(v.Labels)
		if strings.Contains(name, "{") {
			// The legend already shows the labels (the plugin's default
			// display name is the series' name and its labels).
			lbl = ""
		}
		fmt.Fprintf(w, "[%s] %-22s %-38s %5d pts  last %-10.4g %s\n", refID, name, lbl, v.Len(), last, sparkline(vals, 40))
	}
}

func displayName(v *data.Field) string {
	if v.Config != nil && v.Config.DisplayNameFromDS != "" {
		return printable(v.Config.DisplayNameFromDS)
	}
	return printable(v.Name)
}

func labels(l data.Labels) string {
	if len(l) == 0 {
		return ""
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = printable(k) + "=" + printable(l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// sparkline draws values as one line of block characters, averaging
// values into width buckets.
func sparkline(vals []float64, width int) string {
	if len(vals) == 0 {
		return ""
	}
	const blocks = "▁▂▃▄▅▆▇█"
	runes := []rune(blocks)
	if len(vals) < width {
		width = len(vals)
	}
	buckets := make([]float64, width)
	for b := range buckets {
		lo, hi := b*len(vals)/width, (b+1)*len(vals)/width
		sum := 0.0
		for _, x := range vals[lo:hi] {
			sum += x
		}
		buckets[b] = sum / float64(hi-lo)
	}
	lo, hi := buckets[0], buckets[0]
	for _, x := range buckets {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	var sb strings.Builder
	for _, x := range buckets {
		i := 0
		if hi > lo {
			i = int((x - lo) / (hi - lo) * float64(len(runes)-1))
		}
		sb.WriteRune(runes[i])
	}
	return sb.String()
}

func printTable(w io.Writer, refID string, f *data.Frame) {
	rows, _ := f.RowLen()
	if f.Name != "" {
		fmt.Fprintf(w, "[%s] table %q, %d rows\n", refID, f.Name, rows)
	} else {
		fmt.Fprintf(w, "[%s] table, %d rows\n", refID, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	names := make([]string, len(f.Fields))
	millis := make([]bool, len(f.Fields))
	for i, fld := range f.Fields {
		names[i] = printable(fld.Name)
		millis[i] = hasMillis(fld)
	}
	fmt.Fprintln(tw, "    "+strings.Join(names, "\t"))
	const maxRows = 8
	for r := 0; r < rows && r < maxRows; r++ {
		cells := make([]string, len(f.Fields))
		for i, fld := range f.Fields {
			if t, ok := timeAt(fld, r); ok {
				cells[i] = stampAt(t, millis[i])
				continue
			}
			cells[i] = cell(fld.At(r))
		}
		fmt.Fprintln(tw, "    "+strings.Join(cells, "\t"))
	}
	_ = tw.Flush()
	if rows > maxRows {
		fmt.Fprintf(w, "    ... %d more rows\n", rows-maxRows)
	}
}

// hasMillis tells whether any time of a field is not on a whole second,
// so a column shows all its times with one precision.
func hasMillis(f *data.Field) bool {
	for i := 0; i < f.Len(); i++ {
		if t, ok := timeAt(f, i); ok && t.Nanosecond() != 0 {
			return true
		}
	}
	return false
}

// stampAt shows a time to the second, or to the millisecond.
func stampAt(t time.Time, millis bool) string {
	if millis {
		return t.UTC().Format("2006-01-02 15:04:05.000")
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func cell(v any) string {
	switch x := v.(type) {
	case time.Time:
		return stampAt(x, x.Nanosecond() != 0)
	case *time.Time:
		if x != nil {
			return stampAt(*x, x.Nanosecond() != 0)
		}
	case json.RawMessage:
		return printable(string(x))
	case *json.RawMessage:
		if x != nil {
			return printable(string(*x))
		}
	case float64:
		return fmt.Sprintf("%g", x)
	case *float64:
		if x != nil {
			return fmt.Sprintf("%g", *x)
		}
	case *string:
		if x != nil {
			return printable(*x)
		}
	case *bool:
		if x != nil {
			return fmt.Sprint(*x)
		}
	default:
		return printable(fmt.Sprint(v))
	}
	return "null"
}
