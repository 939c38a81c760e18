package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tableChecks look at the tables and frames of every listed metric's
// answer in table format.
var tableChecks = []check{
	{"column types", secQuery, checkColumnTypes},
}

func checkColumnTypes(ctx context.Context, s *session) []finding {
	from, to := s.queryWindow()
	var out []finding
	for _, m := range s.metrics {
		a := s.post(ctx, "/query", s.queryBody(m.name, "table", from, to, 60_000, 360))
		list, err := a.array()
		if !a.ok() || err != nil {
			continue
		}
		tables := 0
		var bad string
		for i, item := range list {
			obj, ok := item.(map[string]any)
			if !ok {
				continue
			}
			if cols, ok := obj["columns"].([]any); ok {
				tables++
				if bad = tableProblem(cols, obj["rows"]); bad != "" {
					bad = fmt.Sprintf("item %d: %s", i, bad)
					break
				}
			}
			if fields, ok := obj["fields"].([]any); ok {
				tables++
				if bad = frameProblem(fields); bad != "" {
					bad = fmt.Sprintf("item %d: %s", i, bad)
					break
				}
			}
		}
		switch {
		case bad != "":
			out = append(out, fail(bad, "give each column the type of its values: time (epoch ms or RFC3339), number, string or boolean").about(m.name))
		case tables > 0:
			out = append(out, pass(count(tables, "table or frame", "tables or frames")+", types match").about(m.name))
		}
	}
	if len(out) == 0 {
		return []finding{skip("no listed metric answered with a table or a frame")}
	}
	return out
}

// tableProblem names the first cell whose value does not fit its
// column's type, or a row of the wrong length.
func tableProblem(cols []any, rowsV any) string {
	types := make([]string, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		cm, ok := c.(map[string]any)
		if !ok {
			return fmt.Sprintf("column %d is %s, not {\"text\", \"type\"}", i, kind(c))
		}
		names[i], _ = cm["text"].(string)
		types[i], _ = cm["type"].(string)
	}
	rows, ok := rowsV.([]any)
	if !ok && rowsV != nil {
		return fmt.Sprintf("rows is %s, not an array", kind(rowsV))
	}
	for r, rowV := range rows {
		row, ok := rowV.([]any)
		if !ok {
			return fmt.Sprintf("row %d is %s, not an array", r, kind(rowV))
		}
		if len(row) != len(cols) {
			return fmt.Sprintf("row %d has %d cells for %d columns", r, len(row), len(cols))
		}
		for c, cell := range row {
			if !fits(types[c], cell) {
				return fmt.Sprintf("row %d, column %q (%s): %s", r, names[c], types[c], kind(cell))
			}
		}
	}
	return ""
}

// frameProblem names the first field whose values do not fit its type.
func frameProblem(fields []any) string {
	for i, f := range fields {
		fm, ok := f.(map[string]any)
		if !ok {
			return fmt.Sprintf("field %d is %s", i, kind(f))
		}
		name, _ := fm["name"].(string)
		typ, _ := fm["type"].(string)
		vals, _ := fm["values"].([]any)
		for j, v := range vals {
			if !fits(typ, v) {
				return fmt.Sprintf("field %q (%s), value %d: %s", name, typ, j, kind(v))
			}
		}
	}
	return ""
}

// fits tells whether a cell is a value of the column type, as the plugin
// reads them; null fits every type, and an untyped column any value.
func fits(typ string, v any) bool {
	if v == nil {
		return true
	}
	switch strings.ToLower(typ) {
	case "time":
		switch t := v.(type) {
		case json.Number:
			return true
		case string:
			if _, err := time.Parse(time.RFC3339Nano, t); err == nil {
				return true
			}
			_, err := strconv.ParseFloat(t, 64)
			return err == nil
		}
		return false
	case "number":
		switch t := v.(type) {
		case json.Number:
			return true
		case string:
			_, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
			return err == nil || strings.EqualFold(t, "nan")
		}
		return false
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean", "bool":
		_, ok := v.(bool)
		return ok
	}
	return true
}
