package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
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
func DecodeFindValues(endpoint string, body []byte) ([]contract.FindValue, error) {
	return ReadFindValues(endpoint, bytes.NewReader(body), contract.ListLimits{})
}

// ReadFindValues reads what DecodeFindValues reads, as it streams, within
// lim: an answer with more options than lim.Items, or a longer value than
// lim.ItemBytes, is refused with a *LimitError at the first one past it.
func ReadFindValues(endpoint string, r io.Reader, lim contract.ListLimits) ([]contract.FindValue, error) {
	lr := newListReader(endpoint, `an array of {"text", "value"} options, strings, or a frame`, r, lim)
	lr.what, lr.narrow = "options", "a more specific query or filter"
	// Every cell of a frame may become an option, so cells count as
	// options: the frame reader stops at the limit, and each frame's
	// cells are added to the options read before it.
	items := frames.NewItemReader(lr.s, frames.ItemLimits{
		Cells: lr.lim.Items, CellsWhat: lr.what, Narrow: lr.narrow, CellBytes: lr.lim.ItemBytes,
	})
	out := []contract.FindValue{}
	add := func(v contract.FindValue) error {
		if v.Text == "" {
			v.Text = v.Value
		}
		if v.Value == "" {
			v.Value = v.Text
		}
		if v.Text == "" {
			return nil
		}
		out = append(out, v)
		return nil
	}
	err := lr.each(true, func(i int) error {
		switch lr.s.PeekKind() {
		case 'n':
			return lr.failed(lr.s.SkipValue())
		case '{':
			obj := map[string]json.RawMessage{}
			item, err := items.Read(func(name string) (bool, error) {
				if err := lr.addMember(); err != nil {
					return true, err
				}
				v, err := lr.raw()
				obj[name] = v
				return true, err
			})
			if err != nil {
				err = lr.itemError(err)
				var notContract *ErrNotContract
				if _, limit := err.(*contract.LimitError); limit || errors.As(err, &notContract) {
					return err
				}
				if item.TableOrFrame {
					return fmt.Errorf(`%s: frame %d: a frame must be {"fields": [{"name", "values": [...]}]}: %w`, endpoint, i, err)
				}
				return fmt.Errorf("%s: option %d: %w", endpoint, i, err)
			}
			if item.Table != nil {
				if lr.items += item.Table.Rows() * len(item.Table.Columns); lr.items > lr.lim.Items.Max {
					return &contract.LimitError{What: lr.what, Limit: lr.lim.Items, Narrow: lr.narrow}
				}
				return frameValues(item.Table, add)
			}
			text, value := pick(obj, "__text", "text"), pick(obj, "__value", "value")
			if text == nil && value == nil {
				raw, _ := json.Marshal(obj)
				return fmt.Errorf("%s: option %d has none of \"__text\", \"__value\", \"text\" or \"value\": %s", endpoint, i, lr.quote(raw, 60))
			}
			if err := lr.addItem(); err != nil {
				return err
			}
			return add(contract.FindValue{Text: optionText(text), Value: optionText(value)})
		case '[':
			raw, err := lr.raw()
			if err != nil {
				return err
			}
			return fmt.Errorf("%s: option %d must be a string, a number or an object, got %s", endpoint, i, lr.quote(raw, 40))
		}
		if err := lr.addItem(); err != nil {
			return err
		}
		raw, err := lr.raw()
		if err != nil {
			return err
		}
		return add(contract.FindValue{Text: optionText(raw)})
	})
	if err != nil {
		return nil, err
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

// frameValues adds a frame's options: from its __text/__value or
// text/value fields, or else every value of every field.
func frameValues(t *frames.RawTable, add func(contract.FindValue) error) error {
	names, columns := t.Names, t.Columns
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
				if err := add(contract.FindValue{Text: optionText(cell)}); err != nil {
					return err
				}
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
		if err := add(contract.FindValue{Text: cell(textCol, r), Value: cell(valueCol, r)}); err != nil {
			return err
		}
	}
	return nil
}
