package frames

import (
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Grafana reads a variable's options from string fields named text and
// value.
func TestVariableOptionsFrame(t *testing.T) {
	o := &VariableOptions{Values: []contract.FindValue{{Text: "Checkout", Value: "checkout"}, {Text: "7", Value: "7"}}}
	f := o.Frame()
	if len(f.Fields) != 2 || f.Fields[0].Name != "text" || f.Fields[1].Name != "value" || f.Fields[0].Type() != data.FieldTypeString || f.Fields[1].Type() != data.FieldTypeString {
		t.Fatalf("fields %v", f.Fields)
	}
	if f.Fields[0].At(0) != "Checkout" || f.Fields[1].At(0) != "checkout" || f.Rows() != 2 {
		t.Errorf("rows %v %v", f.Fields[0].At(0), f.Fields[1].At(0))
	}
	if f.Meta.Type != data.FrameTypeTable {
		t.Errorf("type %v", f.Meta.Type)
	}
	o.Redact(func(s string) string { return "x" + s })
	if o.Values[0].Text != "xCheckout" || o.Values[0].Value != "xcheckout" {
		t.Errorf("redacted %+v", o.Values[0])
	}
	if (&VariableOptions{}).Frame().Rows() != 0 || o.SizeBytes() <= (&VariableOptions{}).SizeBytes() {
		t.Error("empty options")
	}
}
