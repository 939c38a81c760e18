package frames

import (
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Table is one table of an answer, with typed fields.
type Table struct {
	Name   string
	Fields []*data.Field
}

// column is a table column as declared: its name and, if given, its type.
type column struct{ name, typ string }

// tableReader is a table item's "columns" and "rows" as they arrive.
//
// Services send "columns" first, and then each row is typed as it streams,
// straight into its columns' builders: a number cell is read into the 16
// bytes it ends up in, and nothing else is held for it.
//
// Keys may come in any order, though, and rows that come before "columns"
// cannot be typed yet. Those are held as untyped cells (cellColumn, 9 bytes
// a number, row after row) and typed when the item ends. That path is
// slower and holds more on the way; it is there for correctness only.
type tableReader struct {
	cols     []column
	hasCols  bool
	builders []*colBuilder // one per column, once rows are read
	streamed bool          // rows were typed as they came, with cols

	// Rows held until "columns": their cells in row order, and each row's
	// length to tell them apart.
	held    cellColumn
	rowLens []int32

	rows, short, long int
}

// readColumns reads "columns". Rows already typed with other columns
// cannot be typed again: such an item (two "columns" keys, "rows" between
// them) is refused rather than held whole in case it happens.
func (t *tableReader) readColumns(d *decoder) error {
	cols, err := d.columns()
	if err != nil {
		return err
	}
	if t.streamed && !sameColumns(cols, t.cols) {
		return errors.New(`"columns" comes again after "rows", with other columns; send one "columns"`)
	}
	t.cols, t.hasCols = cols, true
	return nil
}

func sameColumns(a, b []column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// readRows reads "rows"; a second "rows" replaces the first.
func (t *tableReader) readRows(d *decoder) error {
	*t = tableReader{cols: t.cols, hasCols: t.hasCols}
	if !t.hasCols {
		return d.eachRow(t.holdRow)
	}
	t.streamed = true
	t.builders = t.newBuilders()
	n := len(t.cols)
	return d.eachRow(func(d *decoder) error {
		if err := d.addCells(n); err != nil {
			return err
		}
		j := 0
		for k := d.peek(); k != ']'; k = d.peek() {
			if j < n {
				c, err := d.cell(k)
				if err != nil {
					return err
				}
				t.builders[j].add(c)
			} else if _, err := d.any(); err != nil {
				return err
			}
			j++
		}
		t.rows++
		t.endRow(j)
		return nil
	})
}

// holdRow reads a row that came before "columns" into t.held.
func (t *tableReader) holdRow(d *decoder) error {
	j := int32(0)
	for k := d.peek(); k != ']'; k = d.peek() {
		if err := d.addCells(1); err != nil {
			return err
		}
		c, err := d.cell(k)
		if err != nil {
			return err
		}
		t.held.add(c)
		j++
	}
	t.rowLens = append(t.rowLens, j)
	t.rows++
	return nil
}

// endRow counts a row of j cells that is short or long, and gives the
// missing cells their nulls.
func (t *tableReader) endRow(j int) {
	n := len(t.builders)
	switch {
	case j < n:
		t.short++
		for _, b := range t.builders[j:] {
			b.add(cell{})
		}
	case j > n:
		t.long++
	}
}

func (t *tableReader) newBuilders() []*colBuilder {
	bs := make([]*colBuilder, len(t.cols))
	for j, c := range t.cols {
		name := c.name
		if name == "" {
			name = fmt.Sprintf("Column %d", j+1)
		}
		bs[j] = newColBuilder(name, c.typ)
	}
	return bs
}

// eachRow reads an array of rows, calling readCells for each after its
// '[' with the rest of the row to read up to its ']'.
func (d *decoder) eachRow(readCells func(*decoder) error) error {
	if err := d.expect('['); err != nil {
		return err
	}
	for i := 0; d.peek() != ']'; i++ {
		if d.peek() != '[' {
			v, err := d.any()
			if err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
			return fmt.Errorf("row %d: want an array of cells, got %s", i, describe(v))
		}
		d.scan.ReadToken() //nolint:errcheck // PeekKind saw it
		if err := readCells(d); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		if _, err := d.scan.ReadToken(); err != nil {
			return fmt.Errorf("row %d: %w", i, ioOrSyntax(err))
		}
	}
	_, err := d.scan.ReadToken()
	return ioOrSyntax(err)
}

// finish types the table's columns and returns notices about rows that
// do not match them. A cell that does not fit its column is reported by
// column, then row, whichever way the rows came.
func (t *tableReader) finish(d *decoder, name string) (*Table, []string, error) {
	if len(t.cols) == 0 && t.rows > 0 {
		return nil, nil, fmt.Errorf(`has %d rows but no "columns"`, t.rows)
	}
	if !t.streamed {
		if err := t.typeHeldRows(d); err != nil {
			return nil, nil, err
		}
	}
	var notices []string
	if t.short > 0 {
		notices = append(notices, fmt.Sprintf("%d rows have fewer cells than the %d columns; the missing cells are empty", t.short, len(t.cols)))
	}
	if t.long > 0 {
		notices = append(notices, fmt.Sprintf("%d rows have more cells than the %d columns; the extra cells were left out", t.long, len(t.cols)))
	}
	tb := &Table{Name: name}
	for _, b := range t.builders {
		f, err := b.field()
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", b.name, err)
		}
		tb.Fields = append(tb.Fields, f)
	}
	return tb, notices, nil
}

// typeHeldRows feeds the rows held before "columns" (if any) to the
// columns' builders.
func (t *tableReader) typeHeldRows(d *decoder) error {
	n := len(t.cols)
	t.builders = t.newBuilders()
	// The held rows counted the cells they brought; the table holds rows ×
	// columns (a short row's nulls too, a long row's extra cells not).
	if err := d.addCells(t.rows*n - t.held.len()); err != nil {
		return err
	}
	cur := t.held.cursor()
	for _, l := range t.rowLens {
		j := int(l)
		for k := range j {
			c := cur.next()
			if k < n {
				t.builders[k].add(c)
			}
		}
		t.endRow(j)
	}
	t.held, t.rowLens = cellColumn{}, nil
	return nil
}

// columns reads table columns: {text, type} objects or bare names.
func (d *decoder) columns() ([]column, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var cols []column
	for i := 0; d.peek() != ']'; i++ {
		if err := d.addCells(1); err != nil {
			return nil, err
		}
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
