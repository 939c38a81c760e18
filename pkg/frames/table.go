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
	t.builders = t.newBuilders(d, true)
	n := len(t.cols)
	// A panel's rows and an ItemReader's have a loop each, so a panel's
	// cells pay nothing for keeping JSON or skipping columns.
	cells := t.typedCells
	if d.raw {
		cells = t.rawCells
	}
	return d.eachRow(func(d *decoder) error {
		if err := d.addCells(n); err != nil {
			return err
		}
		j, err := cells(d)
		if err != nil {
			return err
		}
		for ; d.peek() != ']'; j++ {
			// Cells past the columns are read and dropped, but counted,
			// so an endless row stops at the limit.
			if err := d.addCells(1); err != nil {
				return err
			}
			if _, err := d.any(); err != nil {
				return err
			}
		}
		t.rows++
		t.endRow(j)
		return nil
	})
}

// typedCells reads a row's cells into its columns' builders, up to the
// row's end or its last column, and returns how many it read.
func (t *tableReader) typedCells(d *decoder) (int, error) {
	j := 0
	for k := d.peek(); k != ']' && j < len(t.builders); k = d.peek() {
		c, err := d.typedCell(k)
		if err != nil {
			return j, err
		}
		t.builders[j].add(c)
		j++
	}
	return j, nil
}

// rawCells is typedCells for an ItemReader: each cell as its JSON, and
// the cells of skipped columns counted with the row but never held.
func (t *tableReader) rawCells(d *decoder) (int, error) {
	j := 0
	for k := d.peek(); k != ']' && j < len(t.builders); k = d.peek() {
		b := t.builders[j]
		c := cell{}
		var err error
		if b.skip {
			err = ioOrSyntax(d.scan.SkipValue())
		} else {
			c, err = d.cell(k)
		}
		if err != nil {
			return j, err
		}
		b.addRaw(c)
		j++
	}
	return j, nil
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
			b.put(cell{})
		}
	case j > n:
		t.long++
	}
}

// newBuilders makes the columns' builders; rows streamed with their
// columns known skip the columns an ItemReader's caller does not read
// (skipped says which).
func (t *tableReader) newBuilders(d *decoder, streamed bool) []*colBuilder {
	bs := make([]*colBuilder, len(t.cols))
	names := make([]string, len(t.cols))
	for j, c := range t.cols {
		names[j] = c.name
		if names[j] == "" {
			names[j] = fmt.Sprintf("Column %d", j+1)
		}
		bs[j] = newColBuilder(names[j], c.typ)
		bs[j].raw = d.raw
	}
	if d.raw && streamed && d.skipped != nil {
		for j, skip := range d.skipped(names) {
			bs[j].skip = skip
		}
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
		if err := d.addRows(1); err != nil {
			return err
		}
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

// complete checks the table's rows against its columns, types the rows
// held before "columns", and returns notices about rows that do not match
// the columns.
func (t *tableReader) complete(d *decoder) ([]string, error) {
	if len(t.cols) == 0 && t.rows > 0 {
		return nil, fmt.Errorf(`has %d rows but no "columns"`, t.rows)
	}
	if !t.streamed {
		if err := t.typeHeldRows(d); err != nil {
			return nil, err
		}
	}
	var notices []string
	if t.short > 0 {
		notices = append(notices, fmt.Sprintf("%d rows have fewer cells than the %d columns; the missing cells are empty", t.short, len(t.cols)))
	}
	if t.long > 0 {
		notices = append(notices, fmt.Sprintf("%d rows have more cells than the %d columns; the extra cells were left out", t.long, len(t.cols)))
	}
	return notices, nil
}

// finish returns the table with its columns typed. A cell that does not
// fit its column is reported by column, then row, whichever way the rows
// came.
func (t *tableReader) finish(d *decoder, name string) (*Table, []string, error) {
	notices, err := t.complete(d)
	if err != nil {
		return nil, nil, err
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

// finishRaw returns the table with its cells as they came (an
// ItemReader's).
func (t *tableReader) finishRaw(d *decoder, name string) (*RawTable, []string, error) {
	notices, err := t.complete(d)
	if err != nil {
		return nil, nil, err
	}
	tb := &RawTable{Name: name}
	for _, b := range t.builders {
		tb.Names = append(tb.Names, b.name)
		tb.Columns = append(tb.Columns, rawColumn(&b.cells))
	}
	return tb, notices, nil
}

// typeHeldRows feeds the rows held before "columns" (if any) to the
// columns' builders.
func (t *tableReader) typeHeldRows(d *decoder) error {
	n := len(t.cols)
	t.builders = t.newBuilders(d, false)
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
				t.builders[k].put(c)
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
