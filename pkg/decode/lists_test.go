package decode

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func TestDecodeMetrics(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []contract.Metric
		wantErr string
	}{
		{name: "empty body", body: "", want: []contract.Metric{}},
		{name: "null", body: "null", want: []contract.Metric{}},
		{name: "full", body: `[{"label":"CPU","value":"cpu","payloads":[{"name":"r","type":"select","options":[{"label":"a","value":"a"}]}]}]`,
			want: []contract.Metric{{Label: "CPU", Value: "cpu", Payloads: []contract.PayloadDef{{Name: "r", Type: "select", Options: []contract.SelectOption{{Label: "a", Value: "a"}}}}}}},
		{name: "no label, payloads null, extra fields", body: `[{"value":"cpu","payloads":null,"x":1}]`, want: []contract.Metric{{Label: "cpu", Value: "cpu", Payloads: []contract.PayloadDef{}}}},
		{name: "bare strings and numbers", body: `["a", 7]`, want: []contract.Metric{{Label: "a", Value: "a", Payloads: []contract.PayloadDef{}}, {Label: "7", Value: "7", Payloads: []contract.PayloadDef{}}}},
		{name: "text/value pairs (SimpleJSON)", body: `[{"text":"Upload","value":"up"}]`, want: []contract.Metric{{Label: "Upload", Value: "up", Payloads: []contract.PayloadDef{}}}},
		{name: "label only", body: `[{"label":"x"}]`, want: []contract.Metric{{Label: "x", Value: "x", Payloads: []contract.PayloadDef{}}}},
		{name: "plain ok", body: "ok", wantErr: `got "ok"`},
		{name: "object", body: `{"metrics":[]}`, wantErr: "want an array of metrics"},
		{name: "no value", body: `[{"payloads":[]}]`, wantErr: `none of the 1 metrics has a name`},
		{name: "empty names skipped (SimpleJSON /search)", body: `["", "cpu", {"text":""}]`, want: []contract.Metric{{Label: "cpu", Value: "cpu", Payloads: []contract.PayloadDef{}}}},
		{name: "only empty names", body: `["", ""]`, wantErr: `none of the 2 metrics has a name`},
		{name: "bool item", body: `[true]`, wantErr: "metric 0 must be a string or an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMetrics("POST /metrics", []byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeOptions(t *testing.T) {
	got, err := DecodeOptions("POST /options", []byte(`[{"label":"A","value":1},{"text":"B","value":"b"},"c",{"value":"d"}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []contract.SelectOption{{Label: "A", Value: 1.0}, {Label: "B", Value: "b"}, {Label: "c", Value: "c"}, {Label: "d", Value: "d"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	_, err = DecodeOptions("POST /options", []byte("<html>"))
	var nc *ErrNotContract
	if !errors.As(err, &nc) {
		t.Errorf("err = %v, want ErrNotContract", err)
	}
}
