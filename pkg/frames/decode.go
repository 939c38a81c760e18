package frames

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

// maxPooledBuffer is the largest read buffer kept for the next answer.
const maxPooledBuffer = 1 << 20

// maxPooledPoints is the most points the pooled series buffers keep
// room for (17 bytes each).
const maxPooledPoints = 1 << 16

// maxPresize bounds the pre-sizing a request can ask for.
const maxPresize = 1 << 20

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

// Decode reads a POST /query answer from r token by token, writing points
// and cells straight into field storage: there is no intermediate tree of
// interface values and the body is read once. sizeHint (maxDataPoints) pre-
// sizes the per-series buffers. The answer is bounded by the default
// Limits.
func Decode(r io.Reader, sizeHint int) (*Answer, error) {
	return DecodeWith(r, sizeHint, DecodeOptions{})
}

// DecodeOptions are Decode's settings besides the size hint.
type DecodeOptions struct {
	// Limits bound the answer's points and cells; crossing one stops the
	// decode with a *DecodeError wrapping a *LimitError.
	Limits Limits
	// Scrub, when set, removes secrets from the start of the body before
	// an error message quotes it: quoting cuts it short, and a secret cut
	// in two could no longer be found by a scrub of the message.
	Scrub func(string) string
}

// DecodeWith is Decode with options.
func DecodeWith(r io.Reader, sizeHint int, opts DecodeOptions) (*Answer, error) {
	head := &headRecorder{r: r}
	d := &decoder{
		ans:     &Answer{},
		scratch: scratchPool.Get().(*scratch),
		limits:  opts.Limits.withDefaults(),
		scrub:   opts.Scrub,
	}
	d.scan = jsonscan.NewScanner(head, d.scratch.readBuf)
	defer func() {
		// The read buffer goes back to the pool unless one huge value grew it.
		if readBuf := d.scan.Buffer(); cap(readBuf) <= maxPooledBuffer {
			d.scratch.readBuf = readBuf
		}
		// So do the point buffers unless a long series grew them: kept,
		// they would be held while the answer is encoded, and after.
		if cap(d.scratch.nanos) > maxPooledPoints {
			d.scratch.nanos, d.scratch.values, d.scratch.valid = nil, nil, nil
		}
		scratchPool.Put(d.scratch)
	}()
	// The hint comes from the request (maxDataPoints), so it only pre-sizes
	// up to a bound; past it the buffers grow with what really arrives.
	sizeHint = min(sizeHint, maxPresize)
	if sizeHint > 0 && cap(d.scratch.nanos) < sizeHint {
		d.scratch.nanos = make([]int64, 0, sizeHint)
		d.scratch.values = make([]float64, 0, sizeHint)
		d.scratch.valid = make([]bool, 0, sizeHint)
	}

	tok, err := d.scan.ReadToken()
	switch {
	case errors.Is(err, io.EOF):
		return d.ans, nil // an empty body is an empty list
	case err != nil:
		return nil, d.topLevelError(head, err)
	}
	switch tok.Kind() {
	case 'n':
		return d.ans, nil
	case '[':
	default:
		return nil, d.notArray(head)
	}
	for i := 0; d.peek() != ']'; i++ {
		if err := d.item(i); err != nil {
			return nil, err
		}
	}
	if _, err := d.scan.ReadToken(); err != nil {
		return nil, &DecodeError{Err: ioOrSyntax(err)}
	}
	return d.ans, nil
}

// decoder is the state of one Decode.
type decoder struct {
	scan    *jsonscan.Scanner
	ans     *Answer
	scratch *scratch // pooled buffers: the series being read, the read buffer

	limits Limits
	points int // in finished series
	cells  int // read for tables and frames, see Limits.Cells
	series int // finished or about to be built, see Limits.Series
	scrub  func(string) string
	// prevTime is the last series' time field, see finishSeries.
	prevTime *data.Field

	// raw keeps each table cell and frame value as its JSON (an
	// ItemReader's decoder): cellBytes bounds one, and cellsWhat and
	// cellsNarrow word the Cells limit for the caller's answer.
	raw                    bool
	cellBytes              contract.Limit
	cellsWhat, cellsNarrow string
	// rowLimit, when set, bounds the rows of tables and frames: an
	// ItemReader's caller makes each row one event.
	rowLimit contract.Limit
	rowsWhat string
	rows     int
	// skipped, when set, names the columns of a table an ItemReader's
	// caller does not read, once the columns are known before the rows.
	skipped func(columns []string) []bool
}

// peek returns the kind of the next token, or 0 when reading it fails; the
// caller's next read then reports the error.
func (d *decoder) peek() jsonscan.Kind { return d.scan.PeekKind() }

func (d *decoder) topLevelError(head *headRecorder, err error) error {
	if isSyntax(err) {
		return d.notArray(head)
	}
	return &DecodeError{Err: ioOrSyntax(err)}
}

func (d *decoder) notArray(head *headRecorder) error {
	start := head.head
	if d.scrub != nil {
		start = []byte(d.scrub(string(start)))
	}
	return &DecodeError{Err: fmt.Errorf("the answer is not a JSON array of series, tables or frames; it starts with %s", contract.Snippet(start, 60))}
}

// item reads one element of the top-level array. Keys come in any order, so
// what it is (series, table, frame) is decided at the end of the object.
func (d *decoder) item(i int) error {
	where := func() string { return fmt.Sprintf("item %d", i) }
	tok, err := d.scan.ReadToken()
	if err != nil {
		return &DecodeError{Where: where(), Err: ioOrSyntax(err)}
	}
	if tok.Kind() != '{' {
		return &DecodeError{Where: where(), Err: fmt.Errorf("want an object (a series, table or frame), got %s", kindName(tok.Kind()))}
	}
	var it rawItem
	d.scratch.reset()
	if name, err := d.members(&it, nil); err != nil {
		switch name {
		case "":
			return &DecodeError{Where: where(), Err: err}
		case "datapoints":
			return decodeError(fmt.Sprintf("%s (%q): datapoints", where(), it.name), err)
		}
		return decodeError(where()+": "+name, err)
	}

	switch {
	case it.isTable():
		t, notices, err := it.table.finish(d, it.name)
		if err != nil {
			return decodeError(fmt.Sprintf("table %d", i), err)
		}
		d.ans.Tables = append(d.ans.Tables, t)
		d.addNotices(where(), notices)
	case it.isFrame():
		fields, err := it.frameFields()
		if err != nil {
			return decodeError(fmt.Sprintf("frame %d", i), err)
		}
		series, table, err := d.buildFromFields(it.name, fields)
		if err != nil {
			return decodeError(fmt.Sprintf("frame %d", i), err)
		}
		d.ans.Series = append(d.ans.Series, series...)
		if table != nil {
			d.ans.Tables = append(d.ans.Tables, table)
		}
	case it.hasPoints:
		if err := d.addSeries(1); err != nil {
			return &DecodeError{Err: err}
		}
		s, err := d.finishSeries(it.name, it.tags)
		if err != nil {
			return decodeError(where(), err)
		}
		d.ans.Series = append(d.ans.Series, s)
	default:
		return &DecodeError{Where: where(), Err: errors.New(`has none of "datapoints" (time series), "columns" (table), "fields" or "schema" (frame)`)}
	}
	return nil
}

// decodeError places err in the answer, except a crossed limit: that is
// about the whole answer, whichever item crossed it, so it reads alone.
func decodeError(where string, err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return &DecodeError{Err: le}
	}
	return &DecodeError{Where: where, Err: err}
}

func (d *decoder) addNotices(where string, notices []string) {
	for _, n := range notices {
		d.ans.Notices = append(d.ans.Notices, where+": "+n)
	}
}

// expect reads a token of kind want, or explains what came instead.
func (d *decoder) expect(want jsonscan.Kind) error {
	k := d.peek()
	if k == want {
		_, err := d.scan.ReadToken()
		return ioOrSyntax(err)
	}
	if k == 0 {
		_, err := d.scan.ReadToken()
		return ioOrSyntax(err)
	}
	return fmt.Errorf("want %s, got %s", kindName(want), kindName(k))
}

// text reads a string, or a number or bool as its text.
func (d *decoder) text() (string, error) {
	switch k := d.peek(); k {
	case '"', '0', 't', 'f':
		tok, err := d.scan.ReadToken()
		if err != nil {
			return "", ioOrSyntax(err)
		}
		return tok.String(), nil
	case 'n':
		_, err := d.scan.ReadToken()
		return "", ioOrSyntax(err)
	case 0:
		_, err := d.scan.ReadToken()
		return "", ioOrSyntax(err)
	default:
		_ = d.scan.SkipValue()
		return "", fmt.Errorf("want a string, got %s", kindName(k))
	}
}

// any reads a value as float64, string, bool, nil, []any or map[string]any.
// It is for what tables and frames rarely hold (cells that are arrays or
// objects, column declarations, rows that are not arrays, for their
// error); plain cells go through cell. Each element it holds counts as a
// cell, so one nested cell cannot grow without bound.
func (d *decoder) any() (any, error) {
	switch k := d.peek(); k {
	case '0':
		raw, err := d.scan.ReadValue()
		if err != nil {
			return nil, ioOrSyntax(err)
		}
		return jsonscan.ParseNumber(raw)
	case '"':
		tok, err := d.scan.ReadToken()
		return tok.String(), ioOrSyntax(err)
	case 't', 'f':
		tok, err := d.scan.ReadToken()
		if err != nil {
			return nil, ioOrSyntax(err)
		}
		return tok.Bool(), nil
	case 'n':
		_, err := d.scan.ReadToken()
		return nil, ioOrSyntax(err)
	case '[':
		d.scan.ReadToken() //nolint:errcheck // PeekKind saw it
		arr := []any{}
		for d.peek() != ']' {
			if err := d.addCells(1); err != nil {
				return nil, err
			}
			v, err := d.any()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := d.scan.ReadToken()
		return arr, ioOrSyntax(err)
	case '{':
		d.scan.ReadToken() //nolint:errcheck // PeekKind saw it
		obj := map[string]any{}
		for d.peek() != '}' {
			k, err := d.scan.ReadToken()
			if err != nil {
				return nil, ioOrSyntax(err)
			}
			key := k.String() // the token is void after the next read
			if err := d.addCells(1); err != nil {
				return nil, err
			}
			v, err := d.any()
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		_, err := d.scan.ReadToken()
		return obj, ioOrSyntax(err)
	default:
		_, err := d.scan.ReadToken()
		return nil, ioOrSyntax(err)
	}
}
