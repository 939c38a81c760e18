package pipeline

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// listPipeline is a pipeline with short retries and the given timeout.
func listPipeline(t *testing.T, url string, timeout time.Duration) *Pipeline {
	t.Helper()
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{URL: url, JSONData: []byte(`{}`)}, models.DefaultOperator())
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = timeout
	c, err := client.New(s, httpclient.Options{}, NewSlots(models.DefaultMaxConcurrentCalls).acquire)
	if err != nil {
		t.Fatal(err)
	}
	c.SetBackoff([]time.Duration{time.Millisecond, time.Millisecond})
	t.Cleanup(c.Close)
	return New(s, c, nil)
}

// The metric list comes from /metrics, or from SimpleJSON's /search when
// /metrics is not served (404, 501), hangs up or answers an empty 200.
func TestMetrics(t *testing.T) {
	tests := []struct {
		name    string
		metrics func(http.ResponseWriter) // nil: 404
		search  string                    // "": 404
		want    []string
		wantErr string
		calls   []string
	}{
		{name: "metrics", metrics: func(w http.ResponseWriter) { _, _ = io.WriteString(w, `[{"value":"a"}]`) }, search: `["x"]`,
			want: []string{"a"}, calls: []string{"/metrics"}},
		{name: "404: /search", search: `["a","b"]`, want: []string{"a", "b"}, calls: []string{"/metrics", "/search"}},
		{name: "501: /search", metrics: func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotImplemented) }, search: `["a"]`,
			want: []string{"a"}, calls: []string{"/metrics", "/search"}},
		{name: "empty 200: /search", metrics: func(http.ResponseWriter) {}, search: `["a"]`, want: []string{"a"}, calls: []string{"/metrics", "/search"}},
		{name: "empty 200 and no /search: no metrics", metrics: func(http.ResponseWriter) {}, want: []string{}, calls: []string{"/metrics", "/search"}},
		{name: "hangs up: /search, after the retries", metrics: hangUp, search: `["a"]`, want: []string{"a"},
			calls: []string{"/metrics", "/metrics", "/metrics", "/search"}},
		{name: "hangs up and no /search: the hang-up is the error", metrics: hangUp, wantErr: "POST /metrics: the service closed the connection",
			calls: []string{"/metrics", "/metrics", "/metrics", "/search"}},
		{name: "a catch-all's ok: /search", metrics: func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") }, search: `["a"]`,
			want: []string{"a"}, calls: []string{"/metrics", "/search"}},
		{name: "a catch-all's ok and no /search: the ok is the error", metrics: func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") },
			wantErr: "POST /metrics: the answer does not follow the in-house metrics contract", calls: []string{"/metrics", "/search"}},
		{name: "500 is an error, no fallback", metrics: func(w http.ResponseWriter) { w.WriteHeader(500) }, search: `["a"]`,
			wantErr: "POST /metrics: the service failed with 500", calls: []string{"/metrics"}},
		{name: "empty names skipped", search: `["", "a"]`, want: []string{"a"}, calls: []string{"/metrics", "/search"}},
		{name: "only empty names", search: `[""]`, wantErr: "none of the 1 metrics has a name", calls: []string{"/metrics", "/search"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var calls []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls = append(calls, r.URL.Path)
				mu.Unlock()
				switch {
				case r.URL.Path == contract.PathMetrics && tt.metrics != nil:
					tt.metrics(w)
				case r.URL.Path == contract.PathSearch && tt.search != "" && r.Header.Get("Content-Type") == "application/json":
					_, _ = io.WriteString(w, tt.search)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			m, err := listPipeline(t, srv.URL, 2*time.Second).Metrics(context.Background(), contract.MetricsRequest{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, x := range m {
				got = append(got, x.Value)
			}
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("metrics %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(calls, tt.calls) {
				t.Errorf("calls %v, want %v", calls, tt.calls)
			}
		})
	}
}

// Payload options fall back to /options as every list endpoint falls
// back: on 404 and 501, and on a hang-up, an empty 200 or a 200 that is
// not the contract when /options answers.
func TestPayloadOptions(t *testing.T) {
	ok := func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") }
	tests := []struct {
		name    string
		primary func(http.ResponseWriter) // nil: 404
		options string                    // "": 404
		want    []string
		wantErr string
		calls   []string
	}{
		{name: "metric-payload-options", primary: func(w http.ResponseWriter) { _, _ = io.WriteString(w, `[{"label":"A","value":"a"}]`) }, options: `["x"]`,
			want: []string{"a"}, calls: []string{"/metric-payload-options"}},
		{name: "404: /options", options: `["a","b"]`, want: []string{"a", "b"}, calls: []string{"/metric-payload-options", "/options"}},
		{name: "a catch-all's ok: /options", primary: ok, options: `[{"label":"A","value":"a"},"b","c"]`,
			want: []string{"a", "b", "c"}, calls: []string{"/metric-payload-options", "/options"}},
		{name: "a catch-all's ok and no /options: the ok is the error", primary: ok,
			wantErr: "POST /metric-payload-options: the answer does not follow the in-house metrics contract", calls: []string{"/metric-payload-options", "/options"}},
		{name: "empty 200: /options", primary: func(http.ResponseWriter) {}, options: `["a"]`,
			want: []string{"a"}, calls: []string{"/metric-payload-options", "/options"}},
		{name: "empty 200 and no /options: no options", primary: func(http.ResponseWriter) {},
			want: []string{}, calls: []string{"/metric-payload-options", "/options"}},
		{name: "hangs up: /options, after the retries", primary: hangUp, options: `["a"]`, want: []string{"a"},
			calls: []string{"/metric-payload-options", "/metric-payload-options", "/metric-payload-options", "/options"}},
		{name: "501 on both: no options", primary: func(w http.ResponseWriter) { w.WriteHeader(501) }, options: "501",
			want: []string{}, calls: []string{"/metric-payload-options", "/options"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var calls []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls = append(calls, r.URL.Path)
				mu.Unlock()
				switch {
				case r.URL.Path == contract.PathMetricPayloadOptions && tt.primary != nil:
					tt.primary(w)
				case r.URL.Path == contract.PathOptions && tt.options == "501":
					w.WriteHeader(http.StatusNotImplemented)
				case r.URL.Path == contract.PathOptions && tt.options != "":
					_, _ = io.WriteString(w, tt.options)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			opts, err := listPipeline(t, srv.URL, 2*time.Second).PayloadOptions(context.Background(), contract.MetricPayloadOptionsRequest{Metric: "m", Name: "f"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else {
				got := []string{}
				for _, o := range opts {
					got = append(got, fmt.Sprint(o.Value))
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("options %v, want %v", got, tt.want)
				}
			}
			if !reflect.DeepEqual(calls, tt.calls) {
				t.Errorf("calls %v, want %v", calls, tt.calls)
			}
		})
	}
}

// Ad hoc filter keys and values: every answer shape the dialects send,
// and an empty list from a service that has no such endpoint.
func TestTagKeysAndValues(t *testing.T) {
	tests := []struct {
		name, path string
		status     int
		answer     string
		want       []contract.FindValue
		wantErr    string
	}{
		{name: "keys as {type, text}", path: contract.PathTagKeys, answer: `[{"type":"string","text":"region"},{"type":"string","text":"service"}]`,
			want: []contract.FindValue{{Text: "region", Value: "region"}, {Text: "service", Value: "service"}}},
		{name: "keys as strings", path: contract.PathTagKeys, answer: `["region"]`, want: []contract.FindValue{{Text: "region", Value: "region"}}},
		{name: "keys: 404", path: contract.PathTagKeys, status: 404, want: []contract.FindValue{}},
		{name: "keys: 501", path: contract.PathTagKeys, status: 501, want: []contract.FindValue{}},
		{name: "keys: 500 is an error", path: contract.PathTagKeys, status: 500, wantErr: "POST /tag-keys: the service failed with 500"},
		{name: "keys: not the contract", path: contract.PathTagKeys, answer: `{"keys":1}`, wantErr: `POST /tag-keys: the answer does not follow the in-house metrics contract`},
		{name: "values as {text}", path: contract.PathTagValues, answer: `[{"text":"eu-west"},{"text":"us-east"}]`,
			want: []contract.FindValue{{Text: "eu-west", Value: "eu-west"}, {Text: "us-east", Value: "us-east"}}},
		{name: "values as strings", path: contract.PathTagValues, answer: `["eu-west"]`, want: []contract.FindValue{{Text: "eu-west", Value: "eu-west"}}},
		{name: "values: 404", path: contract.PathTagValues, status: 404, want: []contract.FindValue{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				body = r.Method + " " + r.URL.Path + " " + string(b)
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				_, _ = io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			c := listPipeline(t, srv.URL, time.Second)
			var got []contract.FindValue
			var err error
			wantBody := "POST /tag-keys {}"
			if tt.path == contract.PathTagKeys {
				got, err = c.TagKeys(context.Background(), contract.TagKeysRequest{})
			} else {
				got, err = c.TagValues(context.Background(), contract.TagValuesRequest{Key: "region"})
				wantBody = `POST /tag-values {"key":"region"}`
			}
			if body != wantBody {
				t.Errorf("the service received %s, want %s", body, wantBody)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
