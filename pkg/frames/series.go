package frames

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

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

// scratch holds the growable buffers one series is decoded into before its
// exact-size fields are allocated, and the scanner's read buffer; it is
// pooled so that large answers do not allocate twice.
type scratch struct {
	nanos   []int64 // epoch nanoseconds
	values  []float64
	valid   []bool // false for a null value
	readBuf []byte
}

func (s *scratch) reset() {
	s.nanos, s.values, s.valid = s.nanos[:0], s.values[:0], s.valid[:0]
}

func (s *scratch) add(nanos int64, value float64, valid bool) {
	s.nanos = append(s.nanos, nanos)
	s.values = append(s.values, value)
	s.valid = append(s.valid, valid)
}

// datapoints reads [[value, unixMillis], ...] into the scratch buffers.
// A plain pair of numbers is validated and parsed in one pass straight
// from the read buffer (Scanner.ReadPlainPoint); any other element is read
// as one validated value and parsed by jsonscan.ParsePoint, which explains
// what is wrong with it.
func (d *decoder) datapoints() error {
	if err := d.expect('['); err != nil {
		return err
	}
	buf := d.scratch
	// The limit is checked as points arrive, not when the series is done:
	// one series alone can be the answer that is too large.
	left := d.limits.Points.Max - d.points
	for p := 0; ; p++ {
		if v, nanos, ok := d.scan.ReadPlainPoint(); ok {
			buf.add(nanos, v, true)
			if len(buf.nanos) > left {
				return d.tooManyPoints()
			}
			continue
		}
		k := d.peek()
		if k == ']' {
			break
		}
		if k != '[' {
			if k == 0 {
				_, err := d.scan.ReadToken()
				return fmt.Errorf("point %d: %w", p, ioOrSyntax(err))
			}
			return fmt.Errorf("point %d: want [value, unixMillis], got %s", p, kindName(k))
		}
		raw, err := d.scan.ReadValue()
		if err != nil {
			return fmt.Errorf("point %d: %w", p, ioOrSyntax(err))
		}
		v, valid, nanos, err := jsonscan.ParsePoint(raw)
		if err != nil {
			return fmt.Errorf("point %d: %w", p, err)
		}
		buf.add(nanos, v, valid)
		if len(buf.nanos) > left {
			return d.tooManyPoints()
		}
	}
	_, err := d.scan.ReadToken()
	return ioOrSyntax(err)
}

// finishSeries turns the scratch buffers into exact-size fields, sorting
// points by time when the server sent them out of order.
func (d *decoder) finishSeries(name string, tags data.Labels) (*Series, error) {
	buf := d.scratch
	n := len(buf.nanos)
	if d.points += n; d.points > d.limits.Points.Max {
		return nil, d.tooManyPoints()
	}
	if !slices.IsSorted(buf.nanos) {
		sort.Stable(byTime{buf})
		d.ans.Notices = append(d.ans.Notices, fmt.Sprintf("series %q: points arrived out of time order and were sorted", name))
	}
	dups := 0
	for i := 1; i < n; i++ {
		if buf.nanos[i] == buf.nanos[i-1] {
			dups++
		}
	}
	if dups > 0 {
		d.ans.Notices = append(d.ans.Notices, fmt.Sprintf("series %q: %d points share a timestamp with the point before them", name, dups))
	}

	// Series sampled on the same interval have the same times; they share
	// one time field (read only, like the whole answer), so a wide answer
	// holds 8 bytes a point rather than 32.
	timeField := d.prevTime
	if !sameTimes(timeField, buf.nanos) {
		timeField = data.NewFieldFromFieldType(data.FieldTypeTime, n)
		timeField.Name = data.TimeSeriesTimeFieldName
		for i := 0; i < n; i++ {
			*(timeField.PointerAt(i).(*time.Time)) = time.Unix(0, buf.nanos[i]).UTC()
		}
		d.prevTime = timeField
	}
	var valueField *data.Field
	if !slices.Contains(buf.valid, false) {
		// Without nulls the values need no pointers: half the memory, no
		// GC scanning and a cheaper Arrow encoding.
		valueField = data.NewField("", nil, buf.values)
	} else {
		valueField = data.NewFieldFromFieldType(data.FieldTypeNullableFloat64, n)
		// One slab holds every value, so a series of n points costs one
		// allocation for its values rather than n.
		slab := append([]float64(nil), buf.values...)
		for i := 0; i < n; i++ {
			if buf.valid[i] {
				*(valueField.PointerAt(i).(**float64)) = &slab[i]
			}
		}
	}
	return &Series{Name: name, Labels: tags, Time: timeField, Value: valueField}, nil
}

// sameTimes reports whether f holds exactly the times nanos; a nil f
// holds none.
func sameTimes(f *data.Field, nanos []int64) bool {
	if f == nil || f.Len() != len(nanos) {
		return false
	}
	// The end first: series that differ mostly differ there.
	if last := len(nanos) - 1; last > 0 && f.PointerAt(last).(*time.Time).UnixNano() != nanos[last] {
		return false
	}
	for i, n := range nanos {
		if f.PointerAt(i).(*time.Time).UnixNano() != n {
			return false
		}
	}
	return true
}

// byTime sorts the scratch buffers' points by time, moving each point's
// value and validity with it.
type byTime struct{ buf *scratch }

func (b byTime) Len() int           { return len(b.buf.nanos) }
func (b byTime) Less(i, j int) bool { return b.buf.nanos[i] < b.buf.nanos[j] }
func (b byTime) Swap(i, j int) {
	s := b.buf
	s.nanos[i], s.nanos[j] = s.nanos[j], s.nanos[i]
	s.values[i], s.values[j] = s.values[j], s.values[i]
	s.valid[i], s.valid[j] = s.valid[j], s.valid[i]
}

// labels reads an object of scalar values as labels.
func (d *decoder) labels() (data.Labels, error) {
	if d.peek() == 'n' {
		_, err := d.scan.ReadToken()
		return nil, ioOrSyntax(err)
	}
	if err := d.expect('{'); err != nil {
		return nil, err
	}
	l := data.Labels{}
	for d.peek() != '}' {
		k, err := d.scan.ReadToken()
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
	_, err := d.scan.ReadToken()
	return l, ioOrSyntax(err)
}
