package frames

import "fmt"

// fieldType is a frame field's type: declared, or else its first non-null
// value's.
func fieldType(f *rawField) cellType {
	if typ, ok := declaredType(f.typ); ok {
		return typ
	}
	return inferredType(f.values.firstNonNull())
}

// buildFromFields turns a frame item (items.go reads it) into time series when it
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
