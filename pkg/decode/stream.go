// Package decode reads the service's list answers as they stream, within
// the data source's list limits: metrics and payload options (lists.go),
// variable options and ad hoc filter keys and values (variables.go),
// annotation events, SimpleJSON's and tables of a /query answer
// (annotations.go), all through one list reader (stream.go). The tables
// and frames among them are read by pkg/frames' ItemReader, the reader of
// a panel's tables and frames, so a shape reads the same on every path;
// this package gives their cells meaning (events, options). pkg/contract
// holds the wire types they produce.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
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

// itemError is an ItemReader's error as this reader words its own: a
// value past ItemBytes or JSON that does not parse is the answer's.
func (lr *listReader) itemError(err error) error {
	var long *jsonscan.TokenTooLong
	switch {
	case errors.As(err, new(*contract.LimitError)):
		return err
	case errors.As(err, &long), frames.IsMalformed(err):
		return lr.fail(err)
	case errors.Is(err, frames.ErrTruncated):
		return lr.fail(io.ErrUnexpectedEOF)
	}
	return err
}
