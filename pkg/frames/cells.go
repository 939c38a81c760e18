package frames

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

// cellKind is what JSON a table cell or frame value held.
type cellKind uint8

const (
	nullCell cellKind = iota
	numberCell
	stringCell
	trueCell
	falseCell
	nestedCell // an array or an object
	rawCell    // any value but null, as its JSON in str (an ItemReader's)
)

// cell is one table cell or frame value as read, before its column's type
// is applied. It lives on the stack: only typed values are stored.
type cell struct {
	kind   cellKind
	num    float64
	str    string
	nested any // []any or map[string]any, for text and error messages
}

// cell reads one cell, whose kind d.peek returned (so the caller's loop
// does not peek twice). Numbers are parsed here, once, so that a number in
// a string column reads as its shortest form, as it always has.
func (d *decoder) cell(k jsonscan.Kind) (cell, error) {
	if d.raw && k != 'n' {
		return d.rawCell()
	}
	return d.typedCell(k)
}

// typedCell is cell for a decoder that types cells (Decode's).
func (d *decoder) typedCell(k jsonscan.Kind) (cell, error) {
	switch k {
	case '0':
		// ioOrSyntax keeps ParseNumber's own error (out of range) as it is.
		v, err := d.scan.ReadNumber()
		return cell{kind: numberCell, num: v}, ioOrSyntax(err)
	case '"':
		tok, err := d.scan.ReadToken()
		return cell{kind: stringCell, str: tok.String()}, ioOrSyntax(err)
	case 't':
		_, err := d.scan.ReadToken()
		return cell{kind: trueCell}, ioOrSyntax(err)
	case 'f':
		_, err := d.scan.ReadToken()
		return cell{kind: falseCell}, ioOrSyntax(err)
	case '[', '{':
		v, err := d.any()
		return cell{kind: nestedCell, nested: v}, err
	default: // null, or whatever error the next read reports
		_, err := d.scan.ReadToken()
		return cell{}, ioOrSyntax(err)
	}
}

// rawCell reads a cell as its JSON, within d.cellBytes.
func (d *decoder) rawCell() (cell, error) {
	v, err := d.scan.ReadValue()
	if err != nil {
		return cell{}, ioOrSyntax(err)
	}
	// Two bytes more for a string's quotes: the bound is about the text.
	if d.cellBytes.Max > 0 && len(v) > d.cellBytes.Max+2 {
		return cell{}, &LimitError{What: "bytes in one value", Limit: d.cellBytes, Narrow: d.cellsNarrow}
	}
	return cell{kind: rawCell, str: string(v)}, nil
}

// text is the cell as a string column shows it: a string as it is, a
// number in its shortest form, null as "".
func (c cell) text() string {
	switch c.kind {
	case stringCell:
		return c.str
	case numberCell:
		return strconv.FormatFloat(c.num, 'f', -1, 64)
	case trueCell:
		return "true"
	case falseCell:
		return "false"
	case nestedCell:
		return cellText(c.nested)
	}
	return ""
}

// describe names the cell and its value, for "want ..., got ...".
func (c cell) describe() string {
	switch c.kind {
	case stringCell:
		return describe(c.str)
	case numberCell:
		return describe(c.num)
	case trueCell, falseCell:
		return describe(c.kind == trueCell)
	case nestedCell:
		return describe(c.nested)
	}
	return "null"
}

// cellText is a decoded value as text: a string as it is, a number in its
// shortest form, null as "", and an array or object as its JSON
// (["eu","us"], {"x":2}), which is what the service sent, rather than in
// Go's syntax ([eu us], map[x:2]).
func cellText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// cellColumn holds cells whose type is not known yet (a frame field's
// values, table rows that came before "columns") compactly: a byte of kind
// per cell, and the payloads of each kind in their own slabs. A number
// costs 9 bytes, where an interface holding a heap float costs 24; slabs
// rather than appended slices, because appending copies a large slice
// over and over (each growth by a quarter), which would allocate 4 times
// what is held.
type cellColumn struct {
	n      int
	kinds  slab[cellKind]
	nums   slab[float64]
	strs   slab[string]
	nested slab[any]
}

func (c *cellColumn) add(x cell) {
	c.n++
	c.kinds.add(x.kind)
	switch x.kind {
	case numberCell:
		c.nums.add(x.num)
	case stringCell, rawCell:
		c.strs.add(x.str)
	case nestedCell:
		c.nested.add(x.nested)
	}
}

func (c *cellColumn) len() int { return c.n }

// firstNonNull returns the kind of the first cell that is not null, which
// types a column whose type was not declared; nullCell if there is none.
func (c *cellColumn) firstNonNull() cellKind {
	r := c.kinds.reader()
	for range c.n {
		if k := *r.next(); k != nullCell {
			return k
		}
	}
	return nullCell
}

// cursor reads a cellColumn's cells in order.
func (c *cellColumn) cursor() cellCursor {
	return cellCursor{kinds: c.kinds.reader(), nums: c.nums.reader(), strs: c.strs.reader(), nested: c.nested.reader()}
}

type cellCursor struct {
	kinds  slabReader[cellKind]
	nums   slabReader[float64]
	strs   slabReader[string]
	nested slabReader[any]
}

func (r *cellCursor) next() cell {
	x := cell{kind: *r.kinds.next()}
	switch x.kind {
	case numberCell:
		x.num = *r.nums.next()
	case stringCell, rawCell:
		x.str = *r.strs.next()
	case nestedCell:
		x.nested = *r.nested.next()
	}
	return x
}
