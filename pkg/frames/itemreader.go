package frames

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

// RawTable is a table or frame item with each cell's JSON as it came, nil
// for a null or a missing cell: what an ItemReader returns.
type RawTable struct {
	Name    string
	Names   []string
	Columns [][]json.RawMessage
}

// Rows is the length of the table's longest column.
func (t *RawTable) Rows() int {
	n := 0
	for _, c := range t.Columns {
		n = max(n, len(c))
	}
	return n
}

func rawColumn(c *cellColumn) []json.RawMessage {
	out := make([]json.RawMessage, c.len())
	cur := c.cursor()
	for i := range out {
		if x := cur.next(); x.kind == rawCell {
			out[i] = json.RawMessage(x.str)
		}
	}
	return out
}

func rawFrame(name string, fields []rawField) *RawTable {
	tb := &RawTable{Name: name}
	for j := range fields {
		tb.Names = append(tb.Names, fields[j].name)
		tb.Columns = append(tb.Columns, rawColumn(&fields[j].values))
	}
	return tb
}

// ItemReader reads the table and frame items of an answer that another
// reader walks (annotation events from /query, variable options), from
// that reader's scanner, so the shapes have one reader (items.go).
type ItemReader struct{ d *decoder }

// ItemLimits bound what an ItemReader holds.
type ItemLimits struct {
	// Cells counts cells and frame values, worded as CellsWhat ("table
	// cells", "options") with Narrow saying how to ask for fewer.
	Cells             contract.Limit
	CellsWhat, Narrow string
	// CellBytes bounds the JSON of one cell.
	CellBytes contract.Limit
	// Rows, if set, counts the rows of tables and frames (a frame's
	// longest field), worded as RowsWhat: table rows as they stream.
	Rows     contract.Limit
	RowsWhat string
}

// NewItemReader reads items from s within lim.
func NewItemReader(s *jsonscan.Scanner, lim ItemLimits) *ItemReader {
	return &ItemReader{d: &decoder{
		scan:   s,
		limits: Limits{Cells: lim.Cells}.withDefaults(),
		raw:    true, cellBytes: lim.CellBytes,
		cellsWhat: lim.CellsWhat, cellsNarrow: lim.Narrow,
		rowLimit: lim.Rows, rowsWhat: lim.RowsWhat,
	}}
}

// SkipColumns has the cells of the columns skip names left unread (null)
// in tables whose "columns" come before their "rows", as services send
// them: skip is given the column names and returns which to skip.
func (r *ItemReader) SkipColumns(skip func(columns []string) []bool) { r.d.skipped = skip }

// Item is what ItemReader.Read found in one object.
type Item struct {
	// Table is the object's table or frame; nil when it was neither.
	Table *RawTable
	// Series is set for a time series ("datapoints", skipped unread), and
	// TableOrFrame as soon as a member of either was read, also when
	// reading failed.
	Series, TableOrFrame bool
	// Notices are about rows that do not match the columns.
	Notices []string
}

// Read reads the next value, an object. The members of a series, table
// or frame it reads itself; any other goes to other, which reads its
// value and returns true, or returns false to have it skipped. Errors
// over a limit are *LimitError, unwrapped; JSON that does not parse is
// told by IsMalformed.
func (r *ItemReader) Read(other func(name string) (bool, error)) (Item, error) {
	d := r.d
	var it rawItem
	fail := func(err error) (Item, error) {
		return Item{TableOrFrame: it.isTable() || it.isFrame()}, err
	}
	if err := d.expect('{'); err != nil {
		return fail(err)
	}
	if name, err := d.members(&it, other); err != nil {
		var le *LimitError
		switch {
		case errors.As(err, &le):
			return fail(le)
		case name != "":
			err = fmt.Errorf("%s: %w", name, err)
		}
		return fail(err)
	}
	var (
		item = Item{Series: it.hasPoints, TableOrFrame: it.isTable() || it.isFrame()}
		err  error
	)
	switch {
	case it.isTable():
		item.Table, item.Notices, err = it.table.finishRaw(d, it.name)
	case it.isFrame():
		var fields []rawField
		if fields, err = it.frameFields(); err == nil {
			item.Table = rawFrame(it.name, fields)
			// A table's rows were counted as they came.
			err = d.addRows(item.Table.Rows())
		}
	}
	if err != nil {
		return fail(err)
	}
	return item, nil
}
