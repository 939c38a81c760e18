package frames

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

// Table is one table of an answer, with typed fields.
type Table struct {
	Name   string
	Fields []*data.Field
}

// column is a table column as declared: its name and, if given, its type.
type column struct{ name, typ string }

// rawField is one field of a data-frame-shaped item, its values not yet
// typed.
type rawField struct {
	name, typ string
	labels    data.Labels
	values    []any
}

// columns reads table columns: {text, type} objects or bare names.
func (d *decoder) columns() ([]column, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var cols []column
	for i := 0; d.peek() != ']'; i++ {
		if d.peek() != '{' {
			s, err := d.text()
			if err != nil {
				return nil, fmt.Errorf("column %d: %w", i, err)
			}
			cols = append(cols, column{name: s})
			continue
		}
		v, err := d.any()
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", i, err)
		}
		obj := v.(map[string]any)
		c := column{name: cellText(obj["text"]), typ: cellText(obj["type"])}
		if c.name == "" {
			c.name = cellText(obj["name"])
		}
		cols = append(cols, c)
	}
	_, err := d.scan.ReadToken()
	return cols, ioOrSyntax(err)
}

// rows reads table rows, arrays of cells typed later by their column.
func (d *decoder) rows() ([][]any, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var rows [][]any
	for i := 0; d.peek() != ']'; i++ {
		v, err := d.any()
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		row, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("row %d: want an array of cells, got %s", i, describe(v))
		}
		rows = append(rows, row)
	}
	_, err := d.scan.ReadToken()
	return rows, ioOrSyntax(err)
}

// dataFields reads the "fields" of a data-frame-shaped item.
func (d *decoder) dataFields() ([]rawField, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var fields []rawField
	for i := 0; d.peek() != ']'; i++ {
		if err := d.expect('{'); err != nil {
			return nil, fmt.Errorf("field %d: %w", i, err)
		}
		var f rawField
		for d.peek() != '}' {
			k, err := d.scan.ReadToken()
			if err != nil {
				return nil, ioOrSyntax(err)
			}
			switch key := k.String(); key {
			case "name":
				f.name, err = d.text()
			case "type":
				f.typ, err = d.text()
			case "labels":
				f.labels, err = d.labels()
			case "values":
				var v any
				if v, err = d.any(); err == nil {
					var ok bool
					if f.values, ok = v.([]any); !ok && v != nil {
						err = fmt.Errorf("want an array, got %s", describe(v))
					}
				}
			default:
				err = ioOrSyntax(d.scan.SkipValue())
			}
			if err != nil {
				return nil, fmt.Errorf("field %d (%q): %w", i, f.name, err)
			}
		}
		if _, err := d.scan.ReadToken(); err != nil {
			return nil, ioOrSyntax(err)
		}
		fields = append(fields, f)
	}
	_, err := d.scan.ReadToken()
	return fields, ioOrSyntax(err)
}

// cellType is the Grafana type a table column or frame field becomes.
type cellType int

const (
	cellString cellType = iota
	cellNumber
	cellTime
	cellBool
)

// columnType maps a declared column type to a cell type; an absent or
// unknown type is inferred from the first non-null cell.
func columnType(declared string, cell func(int) any, n int) cellType {
	switch strings.ToLower(declared) {
	case "time":
		return cellTime
	case "number", "float", "int", "integer":
		return cellNumber
	case "boolean", "bool":
		return cellBool
	case "string":
		return cellString
	}
	for i := 0; i < n; i++ {
		switch cell(i).(type) {
		case float64:
			return cellNumber
		case bool:
			return cellBool
		case nil:
			continue
		}
		return cellString
	}
	return cellString
}

// typedField builds a nullable field of the given type from n cells. The
// error names the first cell that does not fit, by row.
func typedField(name string, typ cellType, cell func(int) any, n int) (*data.Field, error) {
	switch typ {
	case cellTime:
		vals := make([]*time.Time, n)
		for i := range vals {
			t, ok, err := toTime(cell(i))
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", i, err)
			}
			if ok {
				vals[i] = &t
			}
		}
		return data.NewField(name, nil, vals), nil
	case cellNumber:
		vals := make([]*float64, n)
		slab := make([]float64, n)
		for i := range vals {
			switch v := cell(i).(type) {
			case nil:
			case float64:
				slab[i] = v
				vals[i] = &slab[i]
			case string:
				f, err := jsonscan.ParseNumericString(v)
				if err != nil {
					return nil, fmt.Errorf("row %d: %w", i, err)
				}
				slab[i] = f
				vals[i] = &slab[i]
			default:
				return nil, fmt.Errorf("row %d: want a number, got %s", i, describe(v))
			}
		}
		return data.NewField(name, nil, vals), nil
	case cellBool:
		vals := make([]*bool, n)
		for i := range vals {
			switch v := cell(i).(type) {
			case nil:
			case bool:
				vals[i] = &v
			case string:
				b, err := strconv.ParseBool(v)
				if err != nil {
					return nil, fmt.Errorf("row %d: want a boolean, got %s", i, describe(v))
				}
				vals[i] = &b
			default:
				return nil, fmt.Errorf("row %d: want a boolean, got %s", i, describe(v))
			}
		}
		return data.NewField(name, nil, vals), nil
	default:
		vals := make([]*string, n)
		for i := range vals {
			if v := cell(i); v != nil {
				s := cellText(v)
				vals[i] = &s
			}
		}
		return data.NewField(name, nil, vals), nil
	}
}

// toTime reads a time cell: epoch milliseconds (number or numeric string)
// or an RFC3339 string.
func toTime(v any) (time.Time, bool, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case float64:
		nanos, err := jsonscan.MillisToNanos(x)
		return time.Unix(0, nanos).UTC(), err == nil, err
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC(), true, nil
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return toTime(f)
		}
		return time.Time{}, false, fmt.Errorf("want epoch milliseconds or an RFC3339 time, got %s", describe(x))
	}
	return time.Time{}, false, fmt.Errorf("want epoch milliseconds or an RFC3339 time, got %s", describe(v))
}

// buildTable types a table's columns from their declared types (or their
// cells) and returns notices about rows that do not match the columns.
func buildTable(name string, cols []column, rows [][]any) (*Table, []string, error) {
	if len(cols) == 0 && len(rows) > 0 {
		return nil, nil, fmt.Errorf(`has %d rows but no "columns"`, len(rows))
	}
	var notices []string
	short, long := 0, 0
	for _, r := range rows {
		switch {
		case len(r) < len(cols):
			short++
		case len(r) > len(cols):
			long++
		}
	}
	if short > 0 {
		notices = append(notices, fmt.Sprintf("%d rows have fewer cells than the %d columns; the missing cells are empty", short, len(cols)))
	}
	if long > 0 {
		notices = append(notices, fmt.Sprintf("%d rows have more cells than the %d columns; the extra cells were left out", long, len(cols)))
	}
	t := &Table{Name: name}
	for j, c := range cols {
		cell := func(i int) any {
			if j < len(rows[i]) {
				return rows[i][j]
			}
			return nil
		}
		colName := c.name
		if colName == "" {
			colName = fmt.Sprintf("Column %d", j+1)
		}
		f, err := typedField(colName, columnType(c.typ, cell, len(rows)), cell, len(rows))
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", colName, err)
		}
		t.Fields = append(t.Fields, f)
	}
	return t, notices, nil
}

// buildFromFields turns a data-frame-shaped item into time series when it
// is one time field plus number fields (what alerting can read), and into
// a table otherwise.
func (d *decoder) buildFromFields(name string, fields []rawField) ([]*Series, *Table, error) {
	n := -1
	types := make([]cellType, len(fields))
	timeIdx, numbers, others := -1, 0, 0
	for j, f := range fields {
		if n >= 0 && len(f.values) != n {
			return nil, nil, fmt.Errorf("field %q has %d values but field %q has %d; all fields of a frame need the same number of values", f.name, len(f.values), fields[0].name, n)
		}
		n = len(f.values)
		values := f.values
		types[j] = columnType(f.typ, func(i int) any { return values[i] }, len(values))
		switch types[j] {
		case cellTime:
			if timeIdx >= 0 {
				others++
			}
			timeIdx = j
		case cellNumber:
			numbers++
		default:
			others++
		}
	}
	if n < 0 {
		n = 0
	}
	if timeIdx >= 0 && numbers > 0 && others == 0 {
		if series, err := d.seriesFromFields(fields, types, timeIdx); err == nil {
			return series, nil, nil
		} else if !isNullTime(err) {
			return nil, nil, err
		}
	}
	t := &Table{Name: name}
	for j, f := range fields {
		values := f.values
		field, err := typedField(f.name, types[j], func(i int) any { return values[i] }, n)
		if err != nil {
			return nil, nil, fmt.Errorf("field %q: %w", f.name, err)
		}
		field.Labels = f.labels
		t.Fields = append(t.Fields, field)
	}
	return nil, t, nil
}

// nullTimeError is a null in a frame's time field: such a frame is not a
// time series, so buildFromFields reads it as a table instead of failing.
type nullTimeError struct{ row int }

func (e nullTimeError) Error() string { return fmt.Sprintf("row %d: time is null", e.row) }

func isNullTime(err error) bool { _, ok := err.(nullTimeError); return ok }

// seriesFromFields makes one series per number field, sharing the frame's
// time values; it goes through the same scratch path as "datapoints", so
// sorting and notices behave the same.
func (d *decoder) seriesFromFields(fields []rawField, types []cellType, timeIdx int) ([]*Series, error) {
	times := fields[timeIdx].values
	var out []*Series
	for j, f := range fields {
		if types[j] != cellNumber {
			continue
		}
		d.scratch.reset()
		for i, tv := range times {
			t, ok, err := toTime(tv)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", fields[timeIdx].name, fmt.Errorf("row %d: %w", i, err))
			}
			if !ok {
				return nil, nullTimeError{i}
			}
			var v float64
			valid := true
			switch x := f.values[i].(type) {
			case float64:
				v = x
			case nil:
				valid = false
			case string:
				var err error
				if v, err = jsonscan.ParseNumericString(x); err != nil {
					return nil, fmt.Errorf("field %q: row %d: %w", f.name, i, err)
				}
			default:
				return nil, fmt.Errorf("field %q: row %d: want a number, got %s", f.name, i, describe(x))
			}
			d.scratch.add(t.UnixNano(), v, valid)
		}
		out = append(out, d.finishSeries(f.name, f.labels))
	}
	return out, nil
}

// cellText is a cell as text: a string as it is, a number in its shortest
// form, null as "".
func cellText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
