package frames

import (
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// rawField is one field of a data-frame-shaped item, its values not yet
// typed: whether the item is time series or a table is known only once
// all its fields are read.
type rawField struct {
	name, typ string
	labels    data.Labels
	values    cellColumn
}

// dataFields reads the "fields" of a data-frame-shaped item.
func (d *decoder) dataFields() ([]rawField, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var fields []rawField
	for i := 0; d.peek() != ']'; i++ {
		if err := d.addCells(1); err != nil {
			return nil, err
		}
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
				f.values, err = d.values()
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

// values reads a field's "values": an array of cells, or null for none.
func (d *decoder) values() (cellColumn, error) {
	var col cellColumn
	if d.peek() != '[' {
		v, err := d.any()
		if err == nil && v != nil {
			err = fmt.Errorf("want an array, got %s", describe(v))
		}
		return col, err
	}
	d.scan.ReadToken() //nolint:errcheck // PeekKind saw it
	for k := d.peek(); k != ']'; k = d.peek() {
		if err := d.addCells(1); err != nil {
			return col, err
		}
		c, err := d.cell(k)
		if err != nil {
			return col, err
		}
		col.add(c)
	}
	_, err := d.scan.ReadToken()
	return col, ioOrSyntax(err)
}

// fieldType is a frame field's type: declared, or else its first non-null
// value's.
func fieldType(f *rawField) cellType {
	if typ, ok := declaredType(f.typ); ok {
		return typ
	}
	return inferredType(f.values.firstNonNull())
}

// buildFromFields turns a data-frame-shaped item into time series when it
// is one time field plus number fields (what alerting can read), and into
// a table otherwise.
func (d *decoder) buildFromFields(name string, fields []rawField) ([]*Series, *Table, error) {
	n := -1
	types := make([]cellType, len(fields))
	timeIdx, numbers, others := -1, 0, 0
	for j := range fields {
		f := &fields[j]
		if n >= 0 && f.values.len() != n {
			return nil, nil, fmt.Errorf("field %q has %d values but field %q has %d; all fields of a frame need the same number of values", f.name, f.values.len(), fields[0].name, n)
		}
		n = f.values.len()
		types[j] = fieldType(f)
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
	if timeIdx >= 0 && numbers > 0 && others == 0 {
		if series, err := d.seriesFromFields(fields, types, timeIdx); err == nil {
			return series, nil, nil
		} else if !isNullTime(err) {
			return nil, nil, err
		}
	}
	t := &Table{Name: name}
	for j := range fields {
		f := &fields[j]
		b := &colBuilder{name: f.name, typ: types[j], decided: true}
		cur := f.values.cursor()
		for range f.values.len() {
			b.add(cur.next())
		}
		field, err := b.field()
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
	times := &fields[timeIdx].values
	var out []*Series
	for j := range fields {
		f := &fields[j]
		if types[j] != cellNumber {
			continue
		}
		d.scratch.reset()
		tcur, vcur := times.cursor(), f.values.cursor()
		for i := range times.len() {
			tc, vc := tcur.next(), vcur.next()
			if tc.kind == nullCell {
				return nil, nullTimeError{i}
			}
			t, err := tc.time()
			if err != nil {
				return nil, fmt.Errorf("field %q: row %d: %w", fields[timeIdx].name, i, err)
			}
			var v float64
			valid := vc.kind != nullCell
			if valid {
				if v, err = vc.number(); err != nil {
					return nil, fmt.Errorf("field %q: row %d: %w", f.name, i, err)
				}
			}
			d.scratch.add(t.UnixNano(), v, valid)
		}
		if err := d.addSeries(1); err != nil {
			return nil, err
		}
		s, err := d.finishSeries(f.name, f.labels)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
