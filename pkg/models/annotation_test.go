package models

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestParseAnnotationQuery(t *testing.T) {
	from := time.Date(2026, 11, 28, 21, 39, 3, 0, time.UTC)
	tr := backend.TimeRange{From: from, To: from.Add(time.Hour)}
	tests := []struct {
		name, model string
		tr          *backend.TimeRange
		metric      string // the target, for the JSON datasource's way
		body        string // the /annotations body, for SimpleJSON's
		wantErr     string
	}{
		{name: "JSON datasource: a target", model: `{"target":"deploy_events","payload":{"service":"checkout"},"refId":"Anno"}`, metric: "deploy_events"},
		{name: "SimpleJSON annotation", model: `{"query":"checkout","name":"Deploys","enable":true,"iconColor":"rgba(255, 96, 96, 1)"}`,
			body: `{"range":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z","raw":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z"}},"rangeRaw":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z"},"annotation":{"name":"Deploys","enable":true,"iconColor":"rgba(255, 96, 96, 1)","query":"checkout"}}`},
		{name: "SimpleJSON annotation, relative range, no enable", model: `{"query":"","name":"All","rangeRaw":{"from":"now-6h","to":"now"}}`,
			body: `{"range":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z","raw":{"from":"now-6h","to":"now"}},"rangeRaw":{"from":"now-6h","to":"now"},"annotation":{"name":"All","enable":true,"iconColor":"","query":""}}`},
		{name: "an empty target and a query is SimpleJSON's", model: `{"target":"","query":"x","name":"n","enable":false}`,
			body: `{"range":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z","raw":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z"}},"rangeRaw":{"from":"2026-11-28T21:39:03.000Z","to":"2026-11-28T22:39:03.000Z"},"annotation":{"name":"n","enable":false,"iconColor":"","query":"x"}}`},
		{name: "neither", model: `{"name":"x"}`, wantErr: "annotation query: no metric selected"},
		{name: "target not a string", model: `{"target":1,"query":"x"}`, wantErr: "target must be a metric name"},
		{name: "malformed", model: `{"query":`, wantErr: "the annotation query is not valid JSON"},
		{name: "no range", model: `{"query":"x"}`, tr: &backend.TimeRange{}, wantErr: "no time range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tr
			if tt.tr != nil {
				r = *tt.tr
			}
			a, err := ParseAnnotationQuery(backend.DataQuery{RefID: "A", JSON: json.RawMessage(tt.model), TimeRange: r})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.metric != "" {
				if a.Metric == nil || a.Metric.Target != tt.metric || a.Metric.ContractRequest().Targets[0].Type != "table" {
					t.Errorf("metric %+v, want target %q asking for a table", a.Metric, tt.metric)
				}
				return
			}
			if a.Metric != nil {
				t.Fatalf("read as the JSON datasource's way: %+v", a.Metric)
			}
			if b, _ := json.Marshal(a.ContractRequest()); string(b) != tt.body {
				t.Errorf("body\n%s\nwant\n%s", b, tt.body)
			}
		})
	}
}
