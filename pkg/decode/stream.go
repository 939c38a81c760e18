// Package decode reads the service's list answers as they stream, within
// the data source's list limits: metrics and payload options (lists.go),
// variable options and ad hoc filter keys and values (variables.go),
// annotation events, SimpleJSON's and tables of a /query answer
// (annotations.go), all through one list reader (stream.go). pkg/contract
// holds the wire types they produce; the /query answer's series and
// tables are read by pkg/frames.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// listReader reads a list answer as it streams, the way pkg/frames reads
// /query answers: an item is held only once read, each value it holds is
// bounded by ItemBytes as it is read (the scanner refuses a longer token
// before holding it), and the count of items and cells is checked before
// each is stored. So an answer past a limit is refused at the first value
// past it, without ever being held whole: a 57 MB list of 30 million
// options stops at option 100,001.
type listReader struct {
	s        *jsonscan.Scanner
	head     *headBytes
	endpoint string
	want     string // what the answer should be, for ErrNotContract
	lim      contract.ListLimits
	what     string // what Items counts: "options" or "events"
	narrow   string // how to ask for fewer
	items    int
	cells    int
	// cellsAreItems counts frame cells as Items too: for options, every
	// cell may become one.
	cellsAreItems bool
}

func newListReader(endpoint, want string, r io.Reader, lim contract.ListLimits) *listReader {
	lim = lim.WithDefaults()
	head := &headBytes{r: r}
	s := jsonscan.NewScanner(head, nil)
	// Two bytes more for a string's quotes: ItemBytes is about the text.
	s.LimitToken(lim.ItemBytes.Max + 2)
	return &listReader{s: s, head: head, endpoint: endpoint, want: want, lim: lim}
}

// headBytes keeps the first bytes of a body, which an error quotes when
// the body is not JSON at all. It keeps far more than the quote: the
// quote is scrubbed before it is cut, and a secret that starts inside it
// must be whole to be found.
type headBytes struct {
	r    io.Reader
	head []byte
}

const headKept = 64 << 10

func (h *headBytes) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := headKept - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

// fail turns a scanner error into the answer's error: a value past
// ItemBytes is too large, anything else is not the contract's JSON.
func (lr *listReader) fail(err error) error {
	var long *jsonscan.TokenTooLong
	if errors.As(err, &long) {
		return &contract.LimitError{What: "bytes in one value", Limit: lr.lim.ItemBytes, Narrow: lr.narrow}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &ErrNotContract{Endpoint: lr.endpoint, Want: lr.want,
		Got: fmt.Sprintf("%s (%v)", contract.Snippet([]byte(lr.lim.Scrub(string(lr.head.head))), 60), err)}
}

// quote is an item's JSON for an error, scrubbed before it is cut.
func (lr *listReader) quote(raw []byte, n int) string {
	return contract.Snippet([]byte(lr.lim.Scrub(string(raw))), n)
}

func (lr *listReader) addItem() error {
	lr.items++
	if lr.items > lr.lim.Items.Max {
		return &contract.LimitError{What: lr.what, Limit: lr.lim.Items, Narrow: lr.narrow}
	}
	return nil
}

func (lr *listReader) addCell() error {
	if lr.cellsAreItems {
		return lr.addItem()
	}
	return lr.addMember()
}

// addMember counts one value held whole: a cell, or a member of an
// option or event object.
func (lr *listReader) addMember() error {
	lr.cells++
	if lr.cells > lr.lim.Cells.Max {
		return &contract.LimitError{What: "table cells", Limit: lr.lim.Cells, Narrow: lr.narrow}
	}
	return nil
}

// each reads the top-level value: an array's items one by one, or, when
// lone is set, an object alone as the one item. An empty body and null
// are an empty list.
func (lr *listReader) each(lone bool, item func(i int) error) error {
	switch k := lr.s.PeekKind(); {
	case k == 0:
		if _, err := lr.s.ReadToken(); err != nil && !errors.Is(err, io.EOF) {
			return lr.fail(err)
		}
		return nil
	case k == 'n':
		_, err := lr.s.ReadToken()
		return lr.failed(err)
	case k == '{' && lone:
		return item(0)
	case k != '[':
		return &ErrNotContract{Endpoint: lr.endpoint, Want: lr.want, Got: contract.Snippet([]byte(lr.lim.Scrub(string(lr.head.head))), 60)}
	}
	if _, err := lr.s.ReadToken(); err != nil {
		return lr.fail(err)
	}
	for i := 0; lr.s.PeekKind() != ']'; i++ {
		if err := item(i); err != nil {
			return err
		}
	}
	_, err := lr.s.ReadToken()
	return lr.failed(err)
}

func (lr *listReader) failed(err error) error {
	if err != nil {
		return lr.fail(err)
	}
	return nil
}

// raw reads the next value whole, as its own copy: a scalar, or a small
// container (a tag list), bounded by ItemBytes.
func (lr *listReader) raw() (json.RawMessage, error) {
	v, err := lr.s.ReadValue()
	if err != nil {
		return nil, lr.fail(err)
	}
	if len(v) > lr.lim.ItemBytes.Max+2 {
		return nil, &contract.LimitError{What: "bytes in one value", Limit: lr.lim.ItemBytes, Narrow: lr.narrow}
	}
	return bytes.Clone(v), nil
}

// object reads an object's members: those member handles (it returns
// true) it reads itself, the others are held whole in the map, each one
// counted as a cell.
func (lr *listReader) object(member func(name string) (bool, error)) (map[string]json.RawMessage, error) {
	tok, err := lr.s.ReadToken()
	if err != nil {
		return nil, lr.fail(err)
	}
	if tok.Kind() != '{' {
		return nil, fmt.Errorf("want an object, got %s", tok.String())
	}
	fields := map[string]json.RawMessage{}
	for lr.s.PeekKind() != '}' {
		tok, err := lr.s.ReadToken()
		if err != nil {
			return nil, lr.fail(err)
		}
		name := tok.String()
		if member != nil {
			handled, err := member(name)
			if err != nil {
				return nil, err
			}
			if handled {
				continue
			}
		}
		if err := lr.addMember(); err != nil {
			return nil, err
		}
		if fields[name], err = lr.raw(); err != nil {
			return nil, err
		}
	}
	_, err = lr.s.ReadToken()
	return fields, lr.failed(err)
}

// array reads an array (or null) element by element.
func (lr *listReader) array(elem func(i int) error) error {
	tok, err := lr.s.ReadToken()
	if err != nil {
		return lr.fail(err)
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '[':
	default:
		return fmt.Errorf("want a list, got %s", tok.String())
	}
	for i := 0; lr.s.PeekKind() != ']'; i++ {
		if err := elem(i); err != nil {
			return err
		}
	}
	_, err = lr.s.ReadToken()
	return lr.failed(err)
}

// column reads a list of cells; keep false skips them unread, though
// they count: skipping costs time, if not memory.
func (lr *listReader) column(keep bool) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := lr.array(func(int) error {
		if err := lr.addCell(); err != nil {
			return err
		}
		if !keep {
			return lr.failed(lr.s.SkipValue())
		}
		cell, err := lr.raw()
		out = append(out, cell)
		return err
	})
	return out, err
}

// frame is a frame as it streams, in either form, {"fields": [{"name",
// "values"}]} or Grafana's {"schema": {"fields": [{"name"}]}, "data":
// {"values": [[...]]}}.
type frame struct {
	fields    []frameField
	hasFields bool
	schema    []string
	hasSchema bool
	data      [][]json.RawMessage
	keep      func(name string) bool // nil keeps every column
}

type frameField struct {
	name   string
	values []json.RawMessage
}

// member reads a frame's member if name is one.
func (lr *listReader) frameMember(f *frame, name string) (bool, error) {
	switch name {
	case "fields":
		if lr.s.PeekKind() == 'n' {
			return true, lr.failed(lr.s.SkipValue())
		}
		f.hasFields = true
		return true, lr.array(func(int) error { return lr.frameField(f) })
	case "schema":
		f.hasSchema = true
		if lr.s.PeekKind() != '{' {
			return true, lr.failed(lr.s.SkipValue())
		}
		_, err := lr.object(func(name string) (bool, error) {
			if name != "fields" {
				return true, lr.failed(lr.s.SkipValue())
			}
			return true, lr.array(func(int) error {
				var n string
				_, err := lr.object(func(key string) (bool, error) {
					if key != "name" {
						return true, lr.failed(lr.s.SkipValue())
					}
					tok, err := lr.s.ReadToken()
					n = tok.String()
					return true, lr.failed(err)
				})
				f.schema = append(f.schema, n)
				return err
			})
		})
		return true, err
	case "data":
		if lr.s.PeekKind() != '{' {
			return true, lr.failed(lr.s.SkipValue())
		}
		_, err := lr.object(func(name string) (bool, error) {
			if name != "values" {
				return true, lr.failed(lr.s.SkipValue())
			}
			return true, lr.array(func(i int) error {
				keep := f.keep == nil || i < len(f.schema) && f.keep(f.schema[i])
				col, err := lr.column(keep)
				f.data = append(f.data, col)
				return err
			})
		})
		return true, err
	}
	return false, nil
}

// frameField reads one field of the "fields" form; its values are kept
// when its name is not known yet or wanted.
func (lr *listReader) frameField(f *frame) error {
	if lr.s.PeekKind() != '{' {
		return fmt.Errorf("a field is %s", kindWord(lr.s.PeekKind()))
	}
	var fld frameField
	named := false
	_, err := lr.object(func(name string) (bool, error) {
		switch name {
		case "name":
			tok, err := lr.s.ReadToken()
			if err != nil {
				return true, lr.fail(err)
			}
			if tok.Kind() != '"' && tok.Kind() != 'n' {
				return true, fmt.Errorf("a field's name is %s", tok.String())
			}
			if tok.Kind() == '"' {
				fld.name = tok.String()
			}
			named = true
			return true, nil
		case "values":
			keep := f.keep == nil || !named || f.keep(fld.name)
			var err error
			fld.values, err = lr.column(keep)
			return true, err
		}
		return true, lr.failed(lr.s.SkipValue())
	})
	f.fields = append(f.fields, fld)
	return err
}

// columns returns the frame's field names and their cells.
func (f *frame) columns() (names []string, columns [][]json.RawMessage) {
	if f.hasFields {
		for _, fld := range f.fields {
			names = append(names, fld.name)
			columns = append(columns, fld.values)
		}
		return names, columns
	}
	for i, n := range f.schema {
		names = append(names, n)
		var col []json.RawMessage
		if i < len(f.data) {
			col = f.data[i]
		}
		columns = append(columns, col)
	}
	return names, columns
}

// kindWord names what a field of a list item is; no token means the
// answer ended there.
func kindWord(k jsonscan.Kind) string {
	if n := k.Noun(); n != "" {
		return n
	}
	return "missing"
}
