package plugin

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func typed(queryType, ref, model string) backend.DataQuery {
	q := dataQuery(ref, model)
	q.QueryType = queryType
	return q
}

// golden checks one response against testdata/<name>.jsonc, with the
// test server's address replaced by a fixed one (the port changes every
// run); -update regenerates the file. Every golden test of the package
// checks through it.
func golden(t *testing.T, name, url string, dr backend.DataResponse) {
	t.Helper()
	for _, f := range dr.Frames {
		if f.Meta != nil {
			f.Meta.ExecutedQueryString = strings.ReplaceAll(f.Meta.ExecutedQueryString, url, "http://service")
		}
	}
	experimental.CheckGoldenJSONResponse(t, "testdata", name, &dr, *update)
}

// Variable queries in both saved models and both dialects: the frame
// Grafana reads as options, and the call the service received.
func TestVariableGolden(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	simple := serve(t, simpleJSONServer())
	tests := []struct {
		name, url, model string
	}{
		// The JSON datasource's model, string format: POST /variable {"payload": {"target"}}.
		{"variable-string-format", ref.URL, `{"query":"services","format":"string","refId":"variable-query"}`},
		// JSON format, a chained variable after interpolation: the object is the payload.
		{"variable-json-format", ref.URL, `{"query":"{\"target\":\"versions\",\"service\":\"checkout\"}","format":"json","rangeRaw":{"from":"now-12h","to":"now"}}`},
		// Ours: target and payload.
		{"variable-our-model", ref.URL, `{"target":"regions","payload":{}}`},
		// A SimpleJSON server: /variable is 404, /search answers.
		{"variable-simplejson-search", simple.URL, `{"query":"rate","format":"string"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := typed(models.QueryTypeVariable, "A", tt.model)
			q.TimeRange = backend.TimeRange{From: now.Add(-12 * time.Hour), To: now}
			dr := query(t, instance(t, tt.url, `{}`, nil), nil, q).Responses["A"]
			if dr.Error != nil {
				t.Fatal(dr.Error)
			}
			golden(t, tt.name, tt.url, dr)
		})
	}
}

// Every answer shape the dialects send becomes the same text/value frame.
func TestVariableAnswerShapes(t *testing.T) {
	tests := []struct {
		name, answer string
		text, value  []string
	}{
		{"__text and __value", `[{"__text":"Checkout","__value":"checkout"}]`, []string{"Checkout"}, []string{"checkout"}},
		{"text and value", `[{"text":"Checkout","value":"checkout"}]`, []string{"Checkout"}, []string{"checkout"}},
		{"strings and numbers", `["checkout", 42, 1.5]`, []string{"checkout", "42", "1.5"}, []string{"checkout", "42", "1.5"}},
		{"frame with __text/__value", `[{"fields":[{"name":"__text","values":["A"]},{"name":"__value","values":["a"]}]}]`, []string{"A"}, []string{"a"}},
		{"frame with text/value", `{"fields":[{"name":"text","values":["A"]},{"name":"value","values":[1]}]}`, []string{"A"}, []string{"1"}},
		{"frame with other fields", `[{"fields":[{"name":"service","values":["a","b"]}]}]`, []string{"a", "b"}, []string{"a", "b"}},
		{"empty", `[]`, []string{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, tt.answer)
			}))
			dr := query(t, instance(t, srv.URL, `{}`, nil), nil, typed(models.QueryTypeVariable, "A", `{"query":"x"}`)).Responses["A"]
			if dr.Error != nil {
				t.Fatal(dr.Error)
			}
			f := dr.Frames[0]
			text, value := []string{}, []string{}
			for i := 0; i < f.Rows(); i++ {
				text, value = append(text, f.Fields[0].At(i).(string)), append(value, f.Fields[1].At(i).(string))
			}
			if !reflect.DeepEqual(text, tt.text) || !reflect.DeepEqual(value, tt.value) || f.RefID != "A" {
				t.Errorf("text %v value %v refId %q, want %v %v", text, value, f.RefID, tt.text, tt.value)
			}
		})
	}
}

// Failed variable queries: each with its status and source.
func TestVariableErrors(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	failing := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "variable store down", http.StatusInternalServerError)
	}))
	noSearch := serve(t, http.NotFoundHandler())
	tests := []struct {
		name, url, model string
		headers          map[string]string
		status           backend.Status
		want             string
	}{
		{"JSON format, not JSON", ref.URL, `{"query":"{target: versions}","format":"json"}`, nil, backend.StatusBadRequest,
			`the variable query "{target: versions}" has the JSON format but is not a valid JSON object`},
		{"unknown format", ref.URL, `{"query":"x","format":"csv"}`, nil, backend.StatusBadRequest, `variable query format "csv" is not supported`},
		{"in an alert rule", ref.URL, `{"query":"services"}`, alerting, backend.StatusBadRequest, `"variable" queries cannot run in alert rules`},
		{"service failing", failing.URL, `{"query":"services"}`, nil, backend.StatusBadGateway, "POST /variable: the service failed with 500 Internal Server Error: \"variable store down\""},
		{"neither /variable nor /search", noSearch.URL, `{"query":"services"}`, nil, backend.StatusNotFound, `POST /search: the service answered 404 Not Found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := query(t, instance(t, tt.url, `{}`, nil), tt.headers, typed(models.QueryTypeVariable, "A", tt.model)).Responses["A"]
			if dr.Error == nil || !strings.Contains(dr.Error.Error(), tt.want) {
				t.Fatalf("error %v, want %q", dr.Error, tt.want)
			}
			if dr.Status != tt.status || dr.ErrorSource != backend.ErrorSourceDownstream || len(dr.Frames) != 0 {
				t.Errorf("status %v source %q, %d frames; want %v from downstream", dr.Status, dr.ErrorSource, len(dr.Frames), tt.status)
			}
		})
	}
}
