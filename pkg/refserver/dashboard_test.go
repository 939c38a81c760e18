package refserver

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func post(t *testing.T, path string, req any, out any) {
	t.Helper()
	body, _ := json.Marshal(req)
	w := httptest.NewRecorder()
	New(Options{}).ServeHTTP(w, httptest.NewRequest("POST", path, bytes.NewReader(body)))
	if w.Code != 200 {
		t.Fatalf("%s: status %d: %s", path, w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
		t.Fatalf("%s: %v: %s", path, err, w.Body)
	}
}

var day = contract.Range{From: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}

func TestVariable(t *testing.T) {
	texts := func(vs []contract.VariableValue) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Value)
		}
		return out
	}
	tests := []struct {
		name    string
		payload map[string]any
		want    []string
	}{
		{"services", map[string]any{"target": "services"}, services},
		{"regions", map[string]any{"target": "region"}, regions},
		{"metrics by default", map[string]any{"target": ""}, []string{"requests_per_second", "latency_p99_ms", "error_ratio", "cpu_usage", "deployments"}},
		{"a service's versions in the range", map[string]any{"target": "versions", "service": "checkout"}, []string{"v1.24.4", "v1.25.5", "v1.26.6", "v1.27.7", "v1.28.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []contract.VariableValue
			post(t, "/variable", contract.VariableRequest{Payload: tt.payload, Range: &day}, &got)
			if !reflect.DeepEqual(texts(got), tt.want) {
				t.Errorf("got %v, want %v", texts(got), tt.want)
			}
		})
	}
}

func TestAnnotationsHandler(t *testing.T) {
	var all, checkout []contract.Annotation
	post(t, "/annotations", contract.AnnotationRequest{Range: day}, &all)
	post(t, "/annotations", contract.AnnotationRequest{Range: day, Annotation: contract.AnnotationQuery{Query: "checkout"}}, &checkout)
	if len(all) != 25 || len(checkout) != 9 {
		t.Fatalf("%d events, %d for checkout; want 25 and 9 (both ends of the range count)", len(all), len(checkout))
	}
	for _, e := range checkout {
		if e.Tags[0] != "checkout" || e.TimeEnd != e.Time+deployTakes {
			t.Errorf("event %+v", e)
		}
	}
}

// The annotation target answers /query with a frame of events, narrowed
// by the payload and the ad hoc filters.
func TestEventsFrame(t *testing.T) {
	req := contract.QueryRequest{Range: day, IntervalMs: 60000, MaxDataPoints: 100,
		Targets: []contract.Target{{Target: AnnotationTarget, Payload: map[string]any{"service": "checkout"}}},
		Filters: []contract.Filter{{Key: "region", Operator: "=", Value: "eu-west"}}}
	var items []struct {
		Fields []frameField `json:"fields"`
	}
	post(t, "/query", req, &items)
	if len(items) != 1 || len(items[0].Fields) != 5 || items[0].Fields[4].Name != "tags" {
		t.Fatalf("%+v", items)
	}
	if n := len(items[0].Fields[0].Values); n != 5 {
		t.Errorf("%d events for checkout in eu-west, want 5", n)
	}
	for _, tags := range items[0].Fields[4].Values {
		if !reflect.DeepEqual(tags, []any{"checkout", "eu-west"}) {
			t.Errorf("tags %v", tags)
		}
	}
}

// Values are narrowed by the ad hoc filters sent with them.
func TestTagValuesNarrowedByFilters(t *testing.T) {
	tests := []struct {
		name string
		req  contract.TagValuesRequest
		want []string
	}{
		{name: "no filters", req: contract.TagValuesRequest{Key: "service"}, want: []string{"checkout", "search", "payments"}},
		{name: "service != checkout", req: contract.TagValuesRequest{Key: "service", AdhocFilters: []contract.Filter{{Key: "service", Operator: "!=", Value: "checkout"}}},
			want: []string{"search", "payments"}},
		{name: "a filter no series passes", req: contract.TagValuesRequest{Key: "region", AdhocFilters: []contract.Filter{{Key: "service", Operator: "=", Value: "nosuch"}}},
			want: []string{}},
		{name: "a range and a filter every series passes", req: contract.TagValuesRequest{Key: "region",
			Range:        &contract.Range{From: time.Unix(0, 0), To: time.Unix(3600, 0)},
			AdhocFilters: []contract.Filter{{Key: "service", Operator: "=~", Value: "check.*"}}},
			want: []string{"eu-west", "us-east"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var values []contract.TagValue
			post(t, "/tag-values", tt.req, &values)
			got := []string{}
			for _, v := range values {
				got = append(got, v.Text)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("values %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTagKeysAndValues(t *testing.T) {
	var keys []contract.TagKey
	post(t, "/tag-keys", struct{}{}, &keys)
	var values []contract.TagValue
	post(t, "/tag-values", contract.TagValuesRequest{Key: "region"}, &values)
	if len(keys) != 2 || keys[0].Text != "service" || len(values) != 2 || values[0].Text != "eu-west" {
		t.Errorf("keys %+v values %+v", keys, values)
	}
}
