package frames

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Answer is a decoded POST /query answer.
type Answer struct {
	Series []*Series
	Tables []*Table
	// Notices are things the user should know about the data (sorted,
	// duplicated or odd points), not errors.
	Notices []string
	// Points counts the data points of all series, for maxDataPoints checks.
	Points int
}

// Series is one time series of an answer, already in the field types a
// data plane frame uses: times ascending, values float64, or nullable
// float64 when the series has nulls.
type Series struct {
	Name   string
	Labels data.Labels
	Time   *data.Field // []time.Time
	Value  *data.Field // []float64 or []*float64
}

// ValueAt returns the i-th value, ok false for a null.
func (s *Series) ValueAt(i int) (v float64, ok bool) {
	if p, isNullable := s.Value.At(i).(*float64); isNullable {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	return s.Value.At(i).(float64), true
}

// Table is one table of an answer, with typed fields.
type Table struct {
	Name   string
	Fields []*data.Field
}

// DecodeError is an answer that is not valid for the contract: malformed
// JSON, a wrong shape or a wrong value type. Its message names where.
type DecodeError struct {
	Where string
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Where == "" {
		return e.Err.Error()
	}
	return e.Where + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// scratch holds the growable buffers one series is decoded into before its
// exact-size fields are allocated; it is pooled so that large answers do
// not allocate twice.
type scratch struct {
	ms    []int64 // epoch nanoseconds, despite the name of the wire unit
	vals  []float64
	valid []bool
	buf   []byte // the scanner's read buffer
}

// maxPooledBuffer is the largest read buffer kept for the next answer.
const maxPooledBuffer = 1 << 20

// maxPresize bounds the pre-sizing a request can ask for.
const maxPresize = 1 << 20

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

// Decode reads a POST /query answer from r token by token, writing points
// straight into field storage: there is no intermediate tree of
// interface values and the body is read once. sizeHint (maxDataPoints) pre-
// sizes the per-series buffers.
func Decode(r io.Reader, sizeHint int) (*Answer, error) {
	head := &headRecorder{r: r}
	d := &decoder{
		ans: &Answer{},
	}
	d.sc = scratchPool.Get().(*scratch)
	d.dec = newScanner(head, d.sc.buf)
	defer func() {
		// The read buffer goes back to the pool unless one huge value grew it.
		if cap(d.dec.buf) <= maxPooledBuffer {
			d.sc.buf = d.dec.buf[:0]
		}
		scratchPool.Put(d.sc)
	}()
	// The hint comes from the request (maxDataPoints), so it only pre-sizes
	// up to a bound; past it the buffers grow with what really arrives.
	sizeHint = min(sizeHint, maxPresize)
	if sizeHint > 0 && cap(d.sc.ms) < sizeHint {
		d.sc.ms = make([]int64, 0, sizeHint)
		d.sc.vals = make([]float64, 0, sizeHint)
		d.sc.valid = make([]bool, 0, sizeHint)
	}

	tok, err := d.dec.ReadToken()
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
	if _, err := d.dec.ReadToken(); err != nil {
		return nil, &DecodeError{Err: ioOrSyntax(err)}
	}
	return d.ans, nil
}

type decoder struct {
	dec *scanner
	ans *Answer
	sc  *scratch
}

// peek returns the kind of the next token, or 0 when reading it fails; the
// caller's next read then reports the error.
func (d *decoder) peek() jsontext.Kind { return d.dec.PeekKind() }

func (d *decoder) topLevelError(head *headRecorder, err error) error {
	if isSyntax(err) {
		return d.notArray(head)
	}
	return &DecodeError{Err: ioOrSyntax(err)}
}

func (d *decoder) notArray(head *headRecorder) error {
	return &DecodeError{Err: fmt.Errorf("the answer is not a JSON array of series, tables or frames; it starts with %s", contract.Snippet(head.head, 60))}
}

// item reads one element of the top-level array. Keys come in any order, so
// what it is (series, table, frame) is decided at the end of the object.
func (d *decoder) item(i int) error {
	where := func() string { return fmt.Sprintf("item %d", i) }
	tok, err := d.dec.ReadToken()
	if err != nil {
		return &DecodeError{Where: where(), Err: ioOrSyntax(err)}
	}
	if tok.Kind() != '{' {
		return &DecodeError{Where: where(), Err: fmt.Errorf("want an object (a series, table or frame), got %s", kindName(tok.Kind()))}
	}
	var (
		it                  rawItem
		hasPoints, hasTable bool
	)
	d.sc.ms, d.sc.vals, d.sc.valid = d.sc.ms[:0], d.sc.vals[:0], d.sc.valid[:0]
	for d.peek() != '}' {
		nameTok, err := d.dec.ReadToken()
		if err != nil {
			return &DecodeError{Where: where(), Err: ioOrSyntax(err)}
		}
		name := nameTok.String()
		switch name {
		case "target", "name":
			s, err := d.text()
			if err != nil {
				return &DecodeError{Where: where() + ": " + name, Err: err}
			}
			it.name = s
		case "tags":
			if it.tags, err = d.labels(); err != nil {
				return &DecodeError{Where: where() + ": tags", Err: err}
			}
		case "datapoints":
			hasPoints = true
			if err := d.datapoints(); err != nil {
				return &DecodeError{Where: fmt.Sprintf("%s (%q): datapoints", where(), it.name), Err: err}
			}
		case "type":
			if it.typ, err = d.text(); err != nil {
				return &DecodeError{Where: where() + ": type", Err: err}
			}
		case "columns":
			hasTable = true
			if it.columns, err = d.columns(); err != nil {
				return &DecodeError{Where: where() + ": columns", Err: err}
			}
		case "rows":
			hasTable = true
			if it.rows, err = d.rows(); err != nil {
				return &DecodeError{Where: where() + ": rows", Err: err}
			}
		case "fields":
			it.hasFields = true
			if it.fields, err = d.dataFields(); err != nil {
				return &DecodeError{Where: where() + ": fields", Err: err}
			}
		default:
			if err := d.dec.SkipValue(); err != nil {
				return &DecodeError{Where: where() + ": " + name, Err: ioOrSyntax(err)}
			}
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return &DecodeError{Where: where(), Err: ioOrSyntax(err)}
	}

	switch {
	case hasTable || it.typ == "table":
		t, notices, err := buildTable(it.name, it.columns, it.rows)
		if err != nil {
			return &DecodeError{Where: fmt.Sprintf("table %d", i), Err: err}
		}
		d.ans.Tables = append(d.ans.Tables, t)
		d.addNotices(where(), notices)
	case it.hasFields:
		series, table, err := d.buildFromFields(it.name, it.fields)
		if err != nil {
			return &DecodeError{Where: fmt.Sprintf("frame %d", i), Err: err}
		}
		d.ans.Series = append(d.ans.Series, series...)
		if table != nil {
			d.ans.Tables = append(d.ans.Tables, table)
		}
	case hasPoints:
		d.ans.Series = append(d.ans.Series, d.finishSeries(it.name, it.tags))
	default:
		return &DecodeError{Where: where(), Err: errors.New(`has none of "datapoints" (time series), "columns" (table) or "fields" (frame)`)}
	}
	return nil
}

func (d *decoder) addNotices(where string, notices []string) {
	for _, n := range notices {
		d.ans.Notices = append(d.ans.Notices, where+": "+n)
	}
}

type rawItem struct {
	name, typ string
	tags      data.Labels
	columns   []column
	rows      [][]any
	hasFields bool
	fields    []rawField
}

type column struct{ text, typ string }

type rawField struct {
	name, typ string
	labels    data.Labels
	values    []any
}

// datapoints reads [[value, unixMillis], ...] into the scratch buffers.
// A plain pair of numbers is validated and parsed in one pass straight
// from the read buffer (scanner.point); any other element is read as one
// validated value and parsed by the general path, which explains what is
// wrong with it.
func (d *decoder) datapoints() error {
	if err := d.expect('['); err != nil {
		return err
	}
	sc := d.sc
	for p := 0; ; p++ {
		if v, ns, ok := d.dec.point(); ok {
			sc.ms = append(sc.ms, ns)
			sc.vals = append(sc.vals, v)
			sc.valid = append(sc.valid, true)
			continue
		}
		k := d.peek()
		if k == ']' {
			break
		}
		if k != '[' {
			if k == 0 {
				_, err := d.dec.ReadToken()
				return fmt.Errorf("point %d: %w", p, ioOrSyntax(err))
			}
			return fmt.Errorf("point %d: want [value, unixMillis], got %s", p, kindName(k))
		}
		raw, err := d.dec.ReadValue()
		if err != nil {
			return fmt.Errorf("point %d: %w", p, ioOrSyntax(err))
		}
		v, ok, ns, err := parsePoint(raw)
		if err != nil {
			return fmt.Errorf("point %d: %w", p, err)
		}
		sc.ms = append(sc.ms, ns)
		sc.vals = append(sc.vals, v)
		sc.valid = append(sc.valid, ok)
	}
	_, err := d.dec.ReadToken()
	return ioOrSyntax(err)
}

// parsePoint parses a validated JSON array [value, unixMillis, ...]:
// extra elements are not part of the contract and are ignored.
func parsePoint(raw []byte) (v float64, ok bool, ns int64, err error) {
	rest := raw[1:] // after '['
	valRaw, rest := nextElem(rest)
	if valRaw == nil {
		return 0, false, 0, errors.New("want [value, unixMillis], got an empty array")
	}
	v, ok, err = scalarNumber(valRaw)
	if err != nil {
		return 0, false, 0, fmt.Errorf("value: %w", err)
	}
	tsRaw, _ := nextElem(rest)
	if tsRaw == nil {
		return 0, false, 0, errors.New("want [value, unixMillis], the timestamp is missing")
	}
	ts, tsOK, err := scalarNumber(tsRaw)
	if err == nil && !tsOK {
		err = errors.New("want epoch milliseconds, got null")
	}
	if err == nil {
		ns, err = millisToNanos(ts)
	}
	if err != nil {
		return 0, false, 0, fmt.Errorf("timestamp: %w", err)
	}
	return v, ok, ns, nil
}

// nextElem returns the next element of a validated JSON array and what
// follows it, or nil at the array's end.
func nextElem(b []byte) (elem, rest []byte) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] == ']' {
		return nil, nil
	}
	start, depth, inString := i, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			if depth == 0 {
				return trimSpace(b[start:i]), b[i:]
			}
			depth--
		case c == ',' && depth == 0:
			return trimSpace(b[start:i]), b[i+1:]
		}
	}
	return trimSpace(b[start:]), nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func trimSpace(b []byte) []byte {
	end := len(b)
	for end > 0 && (b[end-1] == ' ' || b[end-1] == '\t' || b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	return b[:end]
}

// scalarNumber reads one validated JSON value as a number: a number, a
// numeric string ("1.5", "NaN", "Infinity") or null (ok is false).
func scalarNumber(b []byte) (float64, bool, error) {
	switch b[0] {
	case 'n':
		return 0, false, nil
	case '"':
		s, err := jsontext.AppendUnquote(nil, b)
		if err != nil {
			return 0, false, err
		}
		v, err := parseNumericString(string(s))
		return v, err == nil, err
	case 't', 'f':
		return 0, false, errors.New("want a number, got a boolean")
	case '[':
		return 0, false, errors.New("want a number, got an array")
	case '{':
		return 0, false, errors.New("want a number, got an object")
	}
	v, err := parseNumber(b)
	return v, err == nil, err
}

// finishSeries turns the scratch buffers into exact-size fields, sorting
// points by time when the server sent them out of order.
func (d *decoder) finishSeries(name string, tags data.Labels) *Series {
	sc := d.sc
	n := len(sc.ms)
	sorted := sort.SliceIsSorted(sc.ms, func(a, b int) bool { return sc.ms[a] < sc.ms[b] })
	if !sorted {
		sort.Stable(byTime{sc})
		d.ans.Notices = append(d.ans.Notices, fmt.Sprintf("series %q: points arrived out of time order and were sorted", name))
	}
	dups := 0
	for i := 1; i < n; i++ {
		if sc.ms[i] == sc.ms[i-1] {
			dups++
		}
	}
	if dups > 0 {
		d.ans.Notices = append(d.ans.Notices, fmt.Sprintf("series %q: %d points share a timestamp with the point before them", name, dups))
	}

	timeField := data.NewFieldFromFieldType(data.FieldTypeTime, n)
	timeField.Name = data.TimeSeriesTimeFieldName
	for i := 0; i < n; i++ {
		*(timeField.PointerAt(i).(*time.Time)) = time.Unix(0, sc.ms[i]).UTC()
	}
	var valueField *data.Field
	if !slices.Contains(sc.valid, false) {
		// Without nulls the values need no pointers: half the memory, no
		// GC scanning and a cheaper Arrow encoding.
		valueField = data.NewField("", nil, sc.vals)
	} else {
		valueField = data.NewFieldFromFieldType(data.FieldTypeNullableFloat64, n)
		// One slab holds every value, so a series of n points costs one
		// allocation for its values rather than n.
		slab := append([]float64(nil), sc.vals...)
		for i := 0; i < n; i++ {
			if sc.valid[i] {
				*(valueField.PointerAt(i).(**float64)) = &slab[i]
			}
		}
	}
	d.ans.Points += n
	return &Series{Name: name, Labels: tags, Time: timeField, Value: valueField}
}

type byTime struct{ sc *scratch }

func (b byTime) Len() int           { return len(b.sc.ms) }
func (b byTime) Less(i, j int) bool { return b.sc.ms[i] < b.sc.ms[j] }
func (b byTime) Swap(i, j int) {
	s := b.sc
	s.ms[i], s.ms[j] = s.ms[j], s.ms[i]
	s.vals[i], s.vals[j] = s.vals[j], s.vals[i]
	s.valid[i], s.valid[j] = s.valid[j], s.valid[i]
}

// maxMillis keeps timestamps inside what time.Time and int64 nanoseconds
// can hold (years 1678 to 2262).
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

func millisToNanos(ms float64) (int64, error) {
	if math.IsNaN(ms) || ms > float64(maxMillis) || ms < -float64(maxMillis) {
		return 0, fmt.Errorf("%v is not epoch milliseconds between the years 1678 and 2262", ms)
	}
	whole := math.Trunc(ms)
	return int64(whole)*int64(time.Millisecond) + int64((ms-whole)*float64(time.Millisecond)), nil
}

// parseNumber parses a JSON number, exactly as strconv would (see
// scanNumber).
func parseNumber(raw []byte) (float64, error) {
	if v, ok := parseSimpleDecimal(raw); ok {
		return v, nil
	}
	// raw lives in the decoder's buffer only until the next read, and
	// ParseFloat does not keep its argument unless it fails.
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64)
	if err != nil {
		return v, fmt.Errorf("number %s is out of range", strings.Clone(string(raw)))
	}
	return v, nil
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func parseSimpleDecimal(raw []byte) (float64, bool) {
	v, end, ok := scanNumber(raw, 0)
	return v, ok && end == len(raw)
}

// scanNumber reads the number that starts at b[i] and returns where it
// stopped. Plain decimals whose digits form an integer up to 2^53 are
// converted from their digits; others and exponents go to strconv on the
// same bytes, without copying them. ok is false for anything that is not
// a number.
func scanNumber(b []byte, i int) (v float64, end int, ok bool) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	intStart := i
	i, mant := readDigits(b, i, 0)
	intDigits, frac := i-intStart, 0
	if intDigits == 0 || (intDigits > 1 && b[intStart] == '0') {
		// Not a JSON number; a leading zero is not allowed either.
		return 0, i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		fracStart := i
		i, mant = readDigits(b, i, mant)
		if frac = i - fracStart; frac == 0 {
			return 0, i, false
		}
	}
	// Clinger's fast path: an integer mantissa up to 2^53 is exact as a
	// float64, and so is 10^frac up to 10^22, so one division is correctly
	// rounded, as strconv's result is. 19 digits cannot overflow uint64.
	simple := intDigits+frac <= 19 && mant <= 1<<53 && frac <= 22
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		expStart := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == expStart {
			return 0, i, false
		}
		simple = false
	}
	if !simple {
		v, err := strconv.ParseFloat(unsafe.String(&b[start], i-start), 64)
		return v, i, err == nil
	}
	v = float64(mant)
	if frac > 0 {
		v /= pow10[frac]
	}
	if b[start] == '-' {
		v = -v
	}
	return v, i, true
}

// readDigits appends the decimal digits at b[i:] to mant and returns where
// they end. Past 19 digits mant overflows; callers check the count.
func readDigits(b []byte, i int, mant uint64) (int, uint64) {
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
	}
	return i, mant
}

// scanMillis reads epoch milliseconds at b[i] as nanoseconds. Whole
// milliseconds, by far the most common, stay integers throughout; the
// rest go through scanNumber and millisToNanos, as the general path does.
func scanMillis(b []byte, i int) (ns int64, end int, ok bool) {
	start := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var ms int64
	digitStart := i
	for ; i < len(b) && i-digitStart < 14; i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		ms = ms*10 + int64(c)
	}
	whole := i > digitStart && (i-digitStart == 1 || b[digitStart] != '0') &&
		(i >= len(b) || (b[i] != '.' && b[i] != 'e' && b[i] != 'E' && (b[i] < '0' || b[i] > '9')))
	if whole && ms <= maxMillis {
		if neg {
			ms = -ms
		}
		return ms * int64(time.Millisecond), i, true
	}
	v, end, ok := scanNumber(b, start)
	if !ok {
		return 0, end, false
	}
	ns, err := millisToNanos(v)
	return ns, end, err == nil
}

// parsePointFast reads the common point shape, [number, number], in one
// pass; ok is false for any other shape, which the general path handles.
func parsePointFast(raw []byte) (v float64, ns int64, ok bool) {
	v, i, ok := scanNumber(raw, skipSpace(raw, 1))
	if !ok {
		return 0, 0, false
	}
	if i = skipSpace(raw, i); i >= len(raw) || raw[i] != ',' {
		return 0, 0, false
	}
	ns, i, ok = scanMillis(raw, skipSpace(raw, i+1))
	if !ok || skipSpace(raw, i) != len(raw)-1 {
		return 0, 0, false
	}
	return v, ns, true
}

func parseNumericString(s string) (float64, error) {
	switch strings.TrimSpace(s) {
	case "NaN", "nan":
		return math.NaN(), nil
	case "Infinity", "+Infinity", "Inf", "+Inf", "inf":
		return math.Inf(1), nil
	case "-Infinity", "-Inf", "-inf":
		return math.Inf(-1), nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("want a number, got the string %s", strconv.Quote(truncate(s, 40)))
	}
	return v, nil
}

// text reads a string, or a number or bool as its text.
func (d *decoder) text() (string, error) {
	switch k := d.peek(); k {
	case '"', '0', 't', 'f':
		tok, err := d.dec.ReadToken()
		if err != nil {
			return "", ioOrSyntax(err)
		}
		return tok.String(), nil
	case 'n':
		_, err := d.dec.ReadToken()
		return "", ioOrSyntax(err)
	case 0:
		_, err := d.dec.ReadToken()
		return "", ioOrSyntax(err)
	default:
		_ = d.dec.SkipValue()
		return "", fmt.Errorf("want a string, got %s", kindName(k))
	}
}

// labels reads an object of scalar values as labels.
func (d *decoder) labels() (data.Labels, error) {
	if d.peek() == 'n' {
		_, err := d.dec.ReadToken()
		return nil, ioOrSyntax(err)
	}
	if err := d.expect('{'); err != nil {
		return nil, err
	}
	l := data.Labels{}
	for d.peek() != '}' {
		k, err := d.dec.ReadToken()
		if err != nil {
			return nil, ioOrSyntax(err)
		}
		key := k.String()
		v, err := d.text()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		l[key] = v
	}
	_, err := d.dec.ReadToken()
	return l, ioOrSyntax(err)
}

// columns reads table columns: {text, type} objects or bare names.
func (d *decoder) columns() ([]column, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var cols []column
	for i := 0; d.peek() != ']'; i++ {
		if d.peek() != '{' {
			s, err := d.text()
			if err != nil {
				return nil, fmt.Errorf("column %d: %w", i, err)
			}
			cols = append(cols, column{text: s})
			continue
		}
		v, err := d.any()
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", i, err)
		}
		obj := v.(map[string]any)
		c := column{text: str(obj["text"]), typ: str(obj["type"])}
		if c.text == "" {
			c.text = str(obj["name"])
		}
		cols = append(cols, c)
	}
	_, err := d.dec.ReadToken()
	return cols, ioOrSyntax(err)
}

func (d *decoder) rows() ([][]any, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var rows [][]any
	for i := 0; d.peek() != ']'; i++ {
		v, err := d.any()
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		row, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("row %d: want an array of cells, got %s", i, describe(v))
		}
		rows = append(rows, row)
	}
	_, err := d.dec.ReadToken()
	return rows, ioOrSyntax(err)
}

func (d *decoder) dataFields() ([]rawField, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	var fields []rawField
	for i := 0; d.peek() != ']'; i++ {
		if err := d.expect('{'); err != nil {
			return nil, fmt.Errorf("field %d: %w", i, err)
		}
		var f rawField
		for d.peek() != '}' {
			k, err := d.dec.ReadToken()
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
				var v any
				if v, err = d.any(); err == nil {
					var ok bool
					if f.values, ok = v.([]any); !ok && v != nil {
						err = fmt.Errorf("want an array, got %s", describe(v))
					}
				}
			default:
				err = ioOrSyntax(d.dec.SkipValue())
			}
			if err != nil {
				return nil, fmt.Errorf("field %d (%q): %w", i, f.name, err)
			}
		}
		if _, err := d.dec.ReadToken(); err != nil {
			return nil, ioOrSyntax(err)
		}
		fields = append(fields, f)
	}
	_, err := d.dec.ReadToken()
	return fields, ioOrSyntax(err)
}

// any reads a value as float64, string, bool, nil, []any or map[string]any.
// It is for tables and frames, whose cells are typed only once every
// column is known; time series never go through it.
func (d *decoder) any() (any, error) {
	switch k := d.peek(); k {
	case '0':
		raw, err := d.dec.ReadValue()
		if err != nil {
			return nil, ioOrSyntax(err)
		}
		return parseNumber(raw)
	case '"':
		tok, err := d.dec.ReadToken()
		return tok.String(), ioOrSyntax(err)
	case 't', 'f':
		tok, err := d.dec.ReadToken()
		if err != nil {
			return nil, ioOrSyntax(err)
		}
		return tok.Bool(), nil
	case 'n':
		_, err := d.dec.ReadToken()
		return nil, ioOrSyntax(err)
	case '[':
		d.dec.ReadToken() //nolint:errcheck // PeekKind saw it
		arr := []any{}
		for d.peek() != ']' {
			v, err := d.any()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := d.dec.ReadToken()
		return arr, ioOrSyntax(err)
	case '{':
		d.dec.ReadToken() //nolint:errcheck // PeekKind saw it
		obj := map[string]any{}
		for d.peek() != '}' {
			k, err := d.dec.ReadToken()
			if err != nil {
				return nil, ioOrSyntax(err)
			}
			key := k.String() // the token is void after the next read
			v, err := d.any()
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		_, err := d.dec.ReadToken()
		return obj, ioOrSyntax(err)
	default:
		_, err := d.dec.ReadToken()
		return nil, ioOrSyntax(err)
	}
}

func (d *decoder) expect(want jsontext.Kind) error {
	k := d.peek()
	if k == want {
		_, err := d.dec.ReadToken()
		return ioOrSyntax(err)
	}
	if k == 0 {
		_, err := d.dec.ReadToken()
		return ioOrSyntax(err)
	}
	return fmt.Errorf("want %s, got %s", kindName(want), kindName(k))
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case ']', '}':
		return "the end of the " + map[jsontext.Kind]string{']': "array", '}': "object"}[k]
	}
	return "invalid JSON"
}

// ioOrSyntax keeps I/O errors (size limit, timeout, reset) matchable with
// errors.Is and turns the rest into plain "malformed JSON" errors.
func ioOrSyntax(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return ErrTruncated
	case isSyntax(err):
		return fmt.Errorf("malformed JSON %v", err)
	}
	var unwrapper interface{ Unwrap() error }
	if errors.As(err, &unwrapper) && unwrapper.Unwrap() != nil {
		return unwrapper.Unwrap()
	}
	return err
}

// ErrTruncated reports an answer that ended in the middle of its JSON.
var ErrTruncated = errors.New("the answer ended before its JSON was complete (truncated body)")

// isSyntax reports whether err is malformed JSON rather than a failed read.
func isSyntax(err error) bool {
	var se *syntaxError
	return errors.As(err, &se)
}

// headRecorder keeps the first bytes of the body for error messages about
// answers that are not JSON at all.
type headRecorder struct {
	r    io.Reader
	head []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := 80 - len(h.head); room > 0 && n > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "the string " + strconv.Quote(truncate(x, 40))
	case float64:
		return "the number " + str(x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
