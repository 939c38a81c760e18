package frames

import (
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// VariableOptions is a template variable's answer: its options, in the
// service's order.
type VariableOptions struct {
	Values []contract.FindValue
	// Blank tells an empty body, which the contract reads as no options
	// but a server in the wild sends for a path it does not route.
	Blank bool
}

// plainTable is the type of the frames that are neither series nor the
// service's tables: a variable's options and annotation events, which the
// data plane contract has no kind for, so they are plain tables.
var plainTable = &data.FrameMeta{Type: data.FrameTypeTable, TypeVersion: data.FrameTypeVersion{0, 1}}

// Frame is what Grafana reads as a variable's options: string fields
// "text" and "value".
func (o *VariableOptions) Frame() *data.Frame {
	text := make([]string, len(o.Values))
	value := make([]string, len(o.Values))
	for i, v := range o.Values {
		text[i], value[i] = v.Text, v.Value
	}
	meta := *plainTable
	return data.NewFrame("", data.NewField("text", nil, text), data.NewField("value", nil, value)).SetMeta(&meta)
}

// Redact passes every text and value through scrub.
func (o *VariableOptions) Redact(scrub func(string) string) {
	for i, v := range o.Values {
		o.Values[i] = contract.FindValue{Text: scrub(v.Text), Value: scrub(v.Value)}
	}
}

// SizeBytes is what the options hold, for the cache's budget.
func (o *VariableOptions) SizeBytes() int64 {
	n := int64(64 + 32*len(o.Values))
	for _, v := range o.Values {
		n += int64(len(v.Text) + len(v.Value))
	}
	return n
}
