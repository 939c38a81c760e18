package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DecodeFindValues reads a list of options: the answer of POST /variable
// (and of /search in its place), /tag-keys and /tag-values. Each dialect
// wrote its own shape, and all of them are accepted, mixed:
//
//   - {"__text", "__value"} (the JSON datasource's /variable);
//   - {"text", "value"} (SimpleJSON's /search), {"type", "text"} (tag
//     keys) and {"text"} (tag values): a missing half is the other one;
//   - plain strings and numbers, each its own text and value;
//   - frames {"fields": [{"name", "values"}]}, alone or as items, or in
//     Grafana's wire form {"schema": {"fields"}, "data": {"values"}}:
//     fields named __text/__value or text/value give the options;
//     otherwise every value of every field is its own text and value.
//
// Nulls and options with neither text nor value are skipped. An empty
// body or null is an empty list.
func DecodeFindValues(endpoint string, body []byte) ([]FindValue, error) {
	const want = `an array of {"text", "value"} options, strings, or a frame`
	trimmed := bytes.TrimSpace(body)
	if firstByte(trimmed) == '{' {
		// A frame sent alone, not in an array.
		trimmed = append(append([]byte{'['}, trimmed...), ']')
	}
	items, err := decodeArray(endpoint, want, trimmed)
	if err != nil {
		if nc, ok := err.(*ErrNotContract); ok {
			nc.Got = Snippet(body, 60)
		}
		return nil, err
	}
	out := make([]FindValue, 0, len(items))
	add := func(v FindValue) {
		if v.Text == "" {
			v.Text = v.Value
		}
		if v.Value == "" {
			v.Value = v.Text
		}
		if v.Text != "" {
			out = append(out, v)
		}
	}
	for i, raw := range items {
		switch firstByte(raw) {
		case 'n': // null
		case '{':
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err != nil {
				return nil, fmt.Errorf("%s: option %d: %v", endpoint, i, err)
			}
			if obj["fields"] != nil || obj["schema"] != nil {
				if err := frameValues(raw, add); err != nil {
					return nil, fmt.Errorf("%s: frame %d: %w", endpoint, i, err)
				}
				continue
			}
			text, value := pick(obj, "__text", "text"), pick(obj, "__value", "value")
			if text == nil && value == nil {
				return nil, fmt.Errorf("%s: option %d has none of \"__text\", \"__value\", \"text\" or \"value\": %s", endpoint, i, Snippet(raw, 60))
			}
			add(FindValue{Text: optionText(text), Value: optionText(value)})
		case '[':
			return nil, fmt.Errorf("%s: option %d must be a string, a number or an object, got %s", endpoint, i, Snippet(raw, 40))
		default:
			add(FindValue{Text: optionText(raw)})
		}
	}
	return out, nil
}

// pick returns the first of keys the object has.
func pick(obj map[string]json.RawMessage, keys ...string) json.RawMessage {
	for _, k := range keys {
		if v, ok := obj[k]; ok {
			return v
		}
	}
	return nil
}

// optionText is the text of a string, number or boolean; "" for others.
func optionText(raw []byte) string {
	switch t := string(bytes.TrimSpace(raw)); t {
	case "true", "false":
		return t
	}
	return scalarText(raw)
}

// frameColumns reads a frame in either form, {"fields": [{"name",
// "values"}]} or Grafana's {"schema": {"fields": [{"name"}]}, "data":
// {"values": [[...]]}}, into its field names and columns of raw cells.
func frameColumns(raw []byte) (names []string, columns [][]json.RawMessage, err error) {
	type field struct {
		Name   string            `json:"name"`
		Values []json.RawMessage `json:"values"`
	}
	var frame struct {
		Fields []field `json:"fields"`
		Schema *struct {
			Fields []field `json:"fields"`
		} `json:"schema"`
		Data struct {
			Values [][]json.RawMessage `json:"values"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &frame); err != nil {
		return nil, nil, fmt.Errorf(`a frame must be {"fields": [{"name", "values": [...]}]}: %v`, err)
	}
	fields := frame.Fields
	if fields == nil && frame.Schema != nil {
		fields = frame.Schema.Fields
		for i := range fields {
			if i < len(frame.Data.Values) {
				fields[i].Values = frame.Data.Values[i]
			}
		}
	}
	for _, f := range fields {
		names = append(names, f.Name)
		columns = append(columns, f.Values)
	}
	return names, columns, nil
}

// frameValues adds a frame's options: from its __text/__value or
// text/value fields, or else every value of every field.
func frameValues(raw []byte, add func(FindValue)) error {
	names, columns, err := frameColumns(raw)
	if err != nil {
		return err
	}
	textCol, valueCol := -1, -1
	for i, n := range names {
		switch strings.ToLower(n) {
		case "__text", "text":
			if textCol < 0 {
				textCol = i
			}
		case "__value", "value":
			if valueCol < 0 {
				valueCol = i
			}
		}
	}
	if textCol < 0 && valueCol < 0 {
		for _, col := range columns {
			for _, cell := range col {
				add(FindValue{Text: optionText(cell)})
			}
		}
		return nil
	}
	cell := func(col, row int) string {
		if col < 0 || row >= len(columns[col]) {
			return ""
		}
		return optionText(columns[col][row])
	}
	rows := 0
	for _, c := range []int{textCol, valueCol} {
		if c >= 0 {
			rows = max(rows, len(columns[c]))
		}
	}
	for r := range rows {
		add(FindValue{Text: cell(textCol, r), Value: cell(valueCol, r)})
	}
	return nil
}
