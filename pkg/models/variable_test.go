package models

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func TestParseVariableQuery(t *testing.T) {
	from := time.Date(2026, 11, 28, 21, 39, 3, 0, time.UTC)
	tr := backend.TimeRange{From: from, To: from.Add(time.Hour)}
	tests := []struct {
		name, model string
		tr          *backend.TimeRange
		wantText    string
		wantPayload map[string]any
		wantErr     string
	}{
		{name: "ours", model: `{"target":"versions","payload":{"service":"checkout"}}`, wantText: "versions", wantPayload: map[string]any{"target": "versions", "service": "checkout"}},
		{name: "ours, payload as a JSON string", model: `{"target":"versions","payload":"{\"service\":\"checkout\"}"}`, wantText: "versions", wantPayload: map[string]any{"target": "versions", "service": "checkout"}},
		{name: "JSON datasource, string format", model: `{"query":"services","format":"string","refId":"variable-query"}`, wantText: "services", wantPayload: map[string]any{"target": "services"}},
		{name: "JSON datasource, no format", model: `{"query":"services"}`, wantText: "services", wantPayload: map[string]any{"target": "services"}},
		{name: "JSON datasource, JSON format", model: `{"query":"{\"target\":\"versions\",\"service\":\"checkout\"}","format":"json"}`, wantText: `{"target":"versions","service":"checkout"}`, wantPayload: map[string]any{"target": "versions", "service": "checkout"}},
		{name: "saved as a bare string", model: `"regions"`, wantText: "regions", wantPayload: map[string]any{"target": "regions"}},
		{name: "empty", model: `{}`, wantPayload: map[string]any{"target": ""}},
		{name: "empty target, query set", model: `{"target":"","query":"regions"}`, wantText: "regions", wantPayload: map[string]any{"target": "regions"}},
		{name: "no time range", model: `{"query":"services"}`, tr: &backend.TimeRange{}, wantText: "services", wantPayload: map[string]any{"target": "services"}},
		{name: "JSON format, not JSON", model: `{"query":"{target: versions}","format":"json"}`, wantErr: `the variable query "{target: versions}" has the JSON format but is not a valid JSON object`},
		{name: "JSON format, a list", model: `{"query":"[1]","format":"json"}`, wantErr: `the variable query "[1]" has the JSON format but is not a valid JSON object`},
		{name: "JSON format, empty", model: `{"query":"","format":"json"}`, wantErr: `the variable query is empty but has the JSON format`},
		{name: "unknown format", model: `{"query":"x","format":"table"}`, wantErr: `variable query format "table" is not supported`},
		{name: "target not a string", model: `{"target":7}`, wantErr: `the variable query's target must be a string`},
		{name: "malformed", model: `{"query":`, wantErr: `the variable query is not valid JSON`},
		{name: "inverted range", model: `{"query":"x"}`, tr: &backend.TimeRange{From: tr.To, To: tr.From}, wantErr: `inverted`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tr
			if tt.tr != nil {
				r = *tt.tr
			}
			v, err := ParseVariableQuery(backend.DataQuery{RefID: "A", JSON: json.RawMessage(tt.model), TimeRange: r})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Text != tt.wantText || !reflect.DeepEqual(v.Payload, tt.wantPayload) {
				t.Errorf("text %q payload %v, want %q %v", v.Text, v.Payload, tt.wantText, tt.wantPayload)
			}
			if v.SearchRequest().Target != tt.wantText {
				t.Errorf("/search target %q", v.SearchRequest().Target)
			}
			if (v.Range == nil) != (r.From.IsZero()) {
				t.Errorf("range %+v for %+v", v.Range, r)
			}
		})
	}
}

// The body of POST /variable, byte for byte: payload, then the range with
// milliseconds and the dashboard's relative range when the frontend sent
// it.
func TestVariableRequestBody(t *testing.T) {
	from := time.Date(2026, 11, 28, 21, 39, 3, 0, time.UTC)
	v, err := ParseVariableQuery(backend.DataQuery{JSON: json.RawMessage(`{"query":"services","format":"string","rangeRaw":{"from":"now-1h","to":"now"}}`),
		TimeRange: backend.TimeRange{From: from, To: from.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v.ContractRequest())
	want := `{"payload":{"target":"services"},"range":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z","raw":{"from":"now-1h","to":"now"}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if b, _ := json.Marshal(v.SearchRequest()); string(b) != `{"target":"services"}` {
		t.Errorf("/search body %s", b)
	}
	var back contract.VariableRequest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
}

// FuzzParseVariableQuery: whatever a saved variable or annotation query
// holds, parsing returns a query or an error, never a panic, and a parsed
// query always has a payload and encodes.
func FuzzParseVariableQuery(f *testing.F) {
	for _, s := range []string{`{"query":"x","format":"json"}`, `{"query":"{\"a\":1}","format":"json"}`, `{"target":"t","payload":"{}"}`, `"x"`, `null`, `{"query":"q","name":"n","enable":false,"rangeRaw":{"from":1}}`} {
		f.Add([]byte(s))
	}
	from := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, raw []byte) {
		dq := backend.DataQuery{JSON: raw, TimeRange: backend.TimeRange{From: from, To: from.Add(time.Hour)}}
		if v, err := ParseVariableQuery(dq); err == nil {
			if v.Payload == nil {
				t.Fatalf("no payload from %q", raw)
			}
			if _, err := json.Marshal(v.ContractRequest()); err != nil {
				t.Fatalf("request does not encode: %v", err)
			}
		}
		if a, err := ParseAnnotationQuery(dq); err == nil {
			if _, err := json.Marshal(a.ContractRequest()); err != nil {
				t.Fatalf("request does not encode: %v", err)
			}
		}
	})
}
