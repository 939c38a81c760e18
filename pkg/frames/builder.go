package frames

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

// cellType is the Grafana type a table column or frame field becomes.
type cellType int

const (
	cellString cellType = iota
	cellNumber
	cellTime
	cellBool
)

// declaredType maps a declared column type to a cell type; ok is false for
// an absent or unknown type, which the first non-null cell decides.
func declaredType(declared string) (typ cellType, ok bool) {
	switch strings.ToLower(declared) {
	case "time":
		return cellTime, true
	case "number", "float", "int", "integer":
		return cellNumber, true
	case "boolean", "bool":
		return cellBool, true
	case "string":
		return cellString, true
	}
	return cellString, false
}

// inferredType is the type a column without a declared one takes from its
// first non-null cell: numbers and booleans keep their type, anything
// else is text (so is a column of nulls).
func inferredType(first cellKind) cellType {
	switch first {
	case numberCell:
		return cellNumber
	case trueCell, falseCell:
		return cellBool
	}
	return cellString
}

// colBuilder types one column's cells as they arrive, into the nullable
// field it becomes. Values go into slabs that never move, and the field's
// pointers are made once the column is complete, so a number costs 16
// bytes in the end (pointer and value) and little more on the way.
//
// A cell that does not fit the type is remembered, not returned: the rows
// are read to their end, as they always were, and the table reports the
// first bad cell of the first column that has one.
type colBuilder struct {
	name    string
	typ     cellType
	decided bool // false while an undeclared type waits for a non-null cell
	rows    int
	valid   []uint64 // a bit per row, set for a non-null value
	nums    slab[float64]
	times   slab[time.Time]
	bools   slab[bool]
	strs    slab[string]
	err     error // the first cell that did not fit, with its row

	// raw holds the cells as they came, untyped (an ItemReader's table);
	// skip leaves them unread, as nulls.
	raw, skip bool
	cells     cellColumn
}

func newColBuilder(name, declared string) *colBuilder {
	typ, ok := declaredType(declared)
	return &colBuilder{name: name, typ: typ, decided: ok}
}

// add appends the next row's cell.
func (b *colBuilder) add(c cell) {
	row := b.rows
	b.rows++
	if c.kind == nullCell || b.err != nil {
		return
	}
	if !b.decided {
		b.typ, b.decided = inferredType(c.kind), true
	}
	var err error
	switch b.typ {
	case cellNumber:
		var v float64
		if v, err = c.number(); err == nil {
			b.nums.add(v)
		}
	case cellTime:
		var t time.Time
		if t, err = c.time(); err == nil {
			b.times.add(t)
		}
	case cellBool:
		var v bool
		if v, err = c.bool(); err == nil {
			b.bools.add(v)
		}
	default:
		b.strs.add(c.text())
	}
	if err != nil {
		b.err = fmt.Errorf("row %d: %w", row, err)
		return
	}
	for len(b.valid) <= row>>6 {
		b.valid = append(b.valid, 0)
	}
	b.valid[row>>6] |= 1 << (row & 63)
}

// addRaw appends the next row's cell as it came, untyped.
func (b *colBuilder) addRaw(c cell) {
	b.rows++
	b.cells.add(c)
}

// put appends the next row's cell as the builder keeps it: typed, or as
// it came.
func (b *colBuilder) put(c cell) {
	if b.raw {
		b.addRaw(c)
	} else {
		b.add(c)
	}
}

// field returns the column as a nullable field, or the first cell that did
// not fit.
func (b *colBuilder) field() (*data.Field, error) {
	if b.err != nil {
		return nil, b.err
	}
	var f *data.Field
	switch b.typ {
	case cellNumber:
		f = pointTo(&b.nums, data.FieldTypeNullableFloat64, b.valid, b.rows)
	case cellTime:
		f = pointTo(&b.times, data.FieldTypeNullableTime, b.valid, b.rows)
	case cellBool:
		f = pointTo(&b.bools, data.FieldTypeNullableBool, b.valid, b.rows)
	default:
		f = pointTo(&b.strs, data.FieldTypeNullableString, b.valid, b.rows)
	}
	f.Name = b.name
	return f, nil
}

// number reads a number cell; a numeric string is parsed, NaN and
// infinities included.
func (c cell) number() (float64, error) {
	switch c.kind {
	case numberCell:
		return c.num, nil
	case stringCell:
		return jsonscan.ParseNumericString(c.str)
	}
	return 0, fmt.Errorf("want a number, got %s", c.describe())
}

// time reads a time cell: epoch milliseconds (number or numeric string) or
// an RFC3339 string.
func (c cell) time() (time.Time, error) {
	ms := c.num
	switch c.kind {
	case numberCell:
	case stringCell:
		if t, err := time.Parse(time.RFC3339Nano, c.str); err == nil {
			return t.UTC(), nil
		}
		f, err := strconv.ParseFloat(c.str, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("want epoch milliseconds or an RFC3339 time, got %s", c.describe())
		}
		ms = f
	default:
		return time.Time{}, fmt.Errorf("want epoch milliseconds or an RFC3339 time, got %s", c.describe())
	}
	nanos, err := jsonscan.MillisToNanos(ms)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, nanos).UTC(), nil
}

func (c cell) bool() (bool, error) {
	switch c.kind {
	case trueCell, falseCell:
		return c.kind == trueCell, nil
	case stringCell:
		if b, err := strconv.ParseBool(c.str); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("want a boolean, got %s", c.describe())
}

// slab stores values in chunks that never move once allocated, so that
// pointers into them stay valid while more values arrive, and nothing is
// copied as it grows; chunks grow to maxChunk, so a small column wastes
// little and a large one allocates rarely.
type slab[T any] struct {
	full [][]T
	cur  []T
}

const (
	minChunk = 16
	maxChunk = 8192
)

func (s *slab[T]) add(v T) {
	if len(s.cur) == cap(s.cur) {
		size := minChunk
		if s.cur != nil {
			s.full = append(s.full, s.cur)
			size = min(2*cap(s.cur), maxChunk)
		}
		s.cur = make([]T, 0, size)
	}
	s.cur = append(s.cur, v)
}

func (s *slab[T]) reader() slabReader[T] { return slabReader[T]{s: s} }

// slabReader walks a slab's values in the order they were added.
type slabReader[T any] struct {
	s    *slab[T]
	c, k int // chunk, and index in it
}

// next returns a pointer to the next value; the caller knows there is one.
func (r *slabReader[T]) next() *T {
	chunk := r.chunk()
	if r.k == len(chunk) {
		r.c, r.k = r.c+1, 0
		chunk = r.chunk()
	}
	r.k++
	return &chunk[r.k-1]
}

func (r *slabReader[T]) chunk() []T {
	if r.c < len(r.s.full) {
		return r.s.full[r.c]
	}
	return r.s.cur
}

// pointTo returns a nullable field of n rows whose non-null rows, those
// set in valid, point at the slab's values in order. The field is made at
// its size and filled in place: data.NewField would copy the pointers.
func pointTo[T any](s *slab[T], typ data.FieldType, valid []uint64, n int) *data.Field {
	f := data.NewFieldFromFieldType(typ, n)
	r := s.reader()
	for row := range n {
		if w := row >> 6; w < len(valid) && valid[w]&(1<<(row&63)) != 0 {
			*(f.PointerAt(row).(**T)) = r.next()
		}
	}
	return f
}
