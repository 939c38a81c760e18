package frames

import (
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// A frame item's fields, in either of its forms: {"fields": [{"name",
// "type", "labels", "values"}]}, or Grafana's {"schema": {"name",
// "fields"}, "data": {"values"}} (items.go reads the item itself).

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

// frameFields returns a frame's fields with their values, from either
// form.
func (it *rawItem) frameFields() ([]rawField, error) {
	if it.hasFields {
		return it.fields, nil
	}
	if len(it.data) > len(it.schema) {
		return nil, fmt.Errorf(`"data" has %d lists of values for the %d fields "schema" declares`, len(it.data), len(it.schema))
	}
	fields := it.schema
	for j := range it.data {
		fields[j].values = it.data[j]
	}
	return fields, nil
}

// schema reads Grafana's "schema": the frame's name, and its fields'
// names, types and labels (values, if a field has them, are read too but
// "data" is where this form keeps them).
func (d *decoder) schema(it *rawItem) error {
	if d.peek() == 'n' {
		_, err := d.scan.ReadToken()
		return ioOrSyntax(err)
	}
	if err := d.expect('{'); err != nil {
		return err
	}
	for d.peek() != '}' {
		k, err := d.scan.ReadToken()
		if err != nil {
			return ioOrSyntax(err)
		}
		switch k.String() {
		case "name":
			var name string
			if name, err = d.text(); err == nil && it.name == "" {
				it.name = name
			}
		case "fields":
			it.schema, err = d.dataFields()
		default:
			err = ioOrSyntax(d.scan.SkipValue())
		}
		if err != nil {
			return err
		}
	}
	_, err := d.scan.ReadToken()
	return ioOrSyntax(err)
}

// frameData reads Grafana's "data": {"values": [[cells] per field]}.
func (d *decoder) frameData() ([]cellColumn, error) {
	if d.peek() == 'n' {
		_, err := d.scan.ReadToken()
		return nil, ioOrSyntax(err)
	}
	if err := d.expect('{'); err != nil {
		return nil, err
	}
	var cols []cellColumn
	for d.peek() != '}' {
		k, err := d.scan.ReadToken()
		if err != nil {
			return nil, ioOrSyntax(err)
		}
		if k.String() != "values" {
			if err := ioOrSyntax(d.scan.SkipValue()); err != nil {
				return nil, err
			}
			continue
		}
		if err := d.expect('['); err != nil {
			return nil, fmt.Errorf("values: %w", err)
		}
		cols = cols[:0]
		for i := 0; d.peek() != ']'; i++ {
			col, err := d.values()
			if err != nil {
				return nil, fmt.Errorf("values %d: %w", i, err)
			}
			cols = append(cols, col)
		}
		if _, err := d.scan.ReadToken(); err != nil {
			return nil, ioOrSyntax(err)
		}
	}
	_, err := d.scan.ReadToken()
	return cols, ioOrSyntax(err)
}
