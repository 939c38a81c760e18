package frames

import (
	"encoding/json"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Answer is a decoded POST /query answer. One answer may serve several
// queries (coalesced calls, the cache), so nothing that builds frames from
// it changes it.
type Answer struct {
	Series []*Series
	Tables []*Table
	// Notices are things the user should know about the data (sorted,
	// duplicated or odd points), not errors.
	Notices []string
}

// Redact passes every name, label and string cell of the answer through
// scrub. A service that echoes its request into its data would otherwise
// put our credentials on a dashboard. It runs once per answer, before the
// answer is shared.
func (a *Answer) Redact(scrub func(string) string) {
	labels := func(l data.Labels) data.Labels {
		if len(l) == 0 {
			return l
		}
		out := make(data.Labels, len(l))
		for k, v := range l {
			out[scrub(k)] = scrub(v)
		}
		return out
	}
	for _, s := range a.Series {
		s.Name, s.Labels = scrub(s.Name), labels(s.Labels)
	}
	for _, t := range a.Tables {
		t.Name = scrub(t.Name)
		for _, f := range t.Fields {
			f.Name, f.Labels = scrub(f.Name), labels(f.Labels)
			if f.Type() != data.FieldTypeNullableString {
				continue
			}
			for i := 0; i < f.Len(); i++ {
				if p := f.At(i).(*string); p != nil {
					if clean := scrub(*p); clean != *p {
						f.Set(i, &clean)
					}
				}
			}
		}
	}
	for i, n := range a.Notices {
		a.Notices[i] = scrub(n)
	}
}

// SizeBytes estimates the memory the answer holds, for the cache's byte
// budget. It counts what is really held: every point and cell by its Go
// type (a nullable cell's pointer, and its value unless null), the bytes
// of every string, name, label and notice, and the structs around them,
// so that even an empty answer costs something.
func (a *Answer) SizeBytes() int64 {
	n := int64(answerOverhead)
	var lastTime *data.Field
	for _, s := range a.Series {
		n += itemOverhead + int64(len(s.Name)) + labelsSize(s.Labels)
		// A nullable series keeps every value in its slab, nulls too.
		points := int64(s.Time.Len())
		n += fieldOverhead + points*8
		// Series in a row with the same times share one time field.
		if s.Time != lastTime {
			n += fieldOverhead + points*timeSize
			lastTime = s.Time
		}
		if s.Value.Type().Nullable() {
			n += points * pointerSize
		}
		n += labelsSize(s.Time.Labels) + labelsSize(s.Value.Labels)
	}
	for _, t := range a.Tables {
		n += itemOverhead + int64(len(t.Name))
		for _, f := range t.Fields {
			n += fieldSize(f)
		}
	}
	for _, s := range a.Notices {
		n += stringHeader + int64(len(s))
	}
	return n
}

// Go sizes on a 64-bit platform; the overheads are rounded up to the
// allocator's size classes.
const (
	pointerSize    = 8
	stringHeader   = 16
	timeSize       = 24
	answerOverhead = 96 // the Answer and its three slice headers
	itemOverhead   = 64 // a Series or Table, and its pointer in the answer
	fieldOverhead  = 96 // a data.Field, its vector's header and pointer
	labelOverhead  = 48 // a map entry: two string headers, hash, slack
	mapOverhead    = 48 // a map's header
	rawJSONHeader  = 24 // a json.RawMessage slice header
)

func labelsSize(l data.Labels) int64 {
	if l == nil {
		return 0
	}
	n := int64(mapOverhead)
	for k, v := range l {
		n += labelOverhead + int64(len(k)) + int64(len(v))
	}
	return n
}

// fieldSize is a field's struct, name, labels and cells.
func fieldSize(f *data.Field) int64 {
	n := fieldOverhead + int64(len(f.Name)) + labelsSize(f.Labels)
	rows := f.Len()
	typ := f.Type()
	if typ.Nullable() {
		n += int64(rows) * pointerSize
	}
	switch typ.NonNullableType() {
	case data.FieldTypeString:
		for i := range rows {
			switch v := f.At(i).(type) {
			case *string:
				if v != nil {
					n += stringHeader + int64(len(*v))
				}
			case string:
				n += stringHeader + int64(len(v))
			}
		}
		return n
	case data.FieldTypeJSON:
		for i := range rows {
			switch v := f.At(i).(type) {
			case *json.RawMessage:
				if v != nil {
					n += rawJSONHeader + int64(len(*v))
				}
			case json.RawMessage:
				n += rawJSONHeader + int64(len(v))
			}
		}
		return n
	}
	size := int64(valueSize(typ.NonNullableType()))
	if !typ.Nullable() {
		return n + int64(rows)*size
	}
	for i := range rows {
		if !f.NilAt(i) {
			n += size
		}
	}
	return n
}

// valueSize is the bytes of one value of a fixed-size field type.
func valueSize(typ data.FieldType) int {
	switch typ {
	case data.FieldTypeInt8, data.FieldTypeUint8, data.FieldTypeBool:
		return 1
	case data.FieldTypeInt16, data.FieldTypeUint16, data.FieldTypeEnum:
		return 2
	case data.FieldTypeInt32, data.FieldTypeUint32, data.FieldTypeFloat32:
		return 4
	case data.FieldTypeTime:
		return timeSize
	}
	return 8
}
