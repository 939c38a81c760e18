package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func variableQuery(ref, model string) backend.DataQuery {
	q := dq(ref, model)
	q.QueryType = models.QueryTypeVariable
	return q
}

// optionValues reads the text and value fields of a variable's frame.
func optionValues(t *testing.T, r backend.DataResponse) (text, value []string) {
	t.Helper()
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	f := r.Frames[0]
	if len(f.Fields) != 2 || f.Fields[0].Name != "text" || f.Fields[1].Name != "value" {
		t.Fatalf("fields %v", f.Fields)
	}
	text, value = []string{}, []string{}
	for i := 0; i < f.Rows(); i++ {
		text, value = append(text, f.Fields[0].At(i).(string)), append(value, f.Fields[1].At(i).(string))
	}
	return text, value
}

// Variable queries through the plugin protocol: each saved model, each
// dialect, the fallbacks, and the request as the service received it.
func TestVariables(t *testing.T) {
	ref := record(refserver.New(refserver.Options{}))
	simple := record(simpleJSONServer())
	unsupported := record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/search" {
			_, _ = io.WriteString(w, `[{"text":"Upload","value":"upload_rate"}]`)
			return
		}
		http.Error(w, "not implemented", http.StatusNotImplemented)
	}))
	urls := map[*recorder]string{ref: serve(t, ref).URL, simple: serve(t, simple).URL, unsupported: serve(t, unsupported).URL}
	tests := []struct {
		name      string
		srv       *recorder
		model     string
		path      string // the call that answered
		sent      string // its body, without the range
		wantValue []string
	}{
		{"JSON datasource, string format", ref, `{"query":"services","format":"string"}`, "/variable", `{"payload":{"target":"services"}}`, []string{"checkout", "search", "payments"}},
		{"JSON datasource, JSON format", ref, `{"query":"{\"target\":\"versions\",\"service\":\"search\"}","format":"json"}`, "/variable", `{"payload":{"service":"search","target":"versions"}}`, []string{"v1.25.6"}},
		{"ours", ref, `{"target":"regions","payload":{"tier":"gold"}}`, "/variable", `{"payload":{"target":"regions","tier":"gold"}}`, []string{"eu-west", "us-east"}},
		{"SimpleJSON: 404, then /search", simple, `{"query":"upload","format":"string"}`, "/search", `{"target":"upload"}`, []string{"upload_rate"}},
		{"501, then /search", unsupported, `{"query":"up"}`, "/search", `{"target":"up"}`, []string{"upload_rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := host.QueryData(context.Background(), dataSource(urls[tt.srv]), []backend.DataQuery{variableQuery("A", tt.model)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, value := optionValues(t, res.Responses["A"])
			if !reflect.DeepEqual(value, tt.wantValue) {
				t.Errorf("options %v, want %v", value, tt.wantValue)
			}
			sent := tt.srv.last(t, tt.path)
			delete(sent, "range")
			if b, _ := json.Marshal(sent); string(b) != tt.sent {
				t.Errorf("%s received %s, want %s", tt.path, b, tt.sent)
			}
			if !strings.Contains(res.Responses["A"].Frames[0].Meta.ExecutedQueryString, "POST "+urls[tt.srv]+tt.path) {
				t.Errorf("inspector: %s", res.Responses["A"].Frames[0].Meta.ExecutedQueryString)
			}
		})
	}
	if ranged := ref.last(t, "/variable")["range"].(map[string]any); ranged["from"] != "2026-11-24T06:00:00.000Z" {
		t.Errorf("range %v", ranged)
	}
}

// Every answer shape the dialects send, and the errors, each with its
// status and source, in one request: one bad query fails alone.
func TestVariableAnswersAndErrors(t *testing.T) {
	shapes := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Payload struct{ Target string } `json:"payload"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch req.Payload.Target {
		case "dunder":
			_, _ = io.WriteString(w, `[{"__text":"Checkout","__value":"checkout"}]`)
		case "textvalue":
			_, _ = io.WriteString(w, `[{"text":"Checkout","value":"checkout"}]`)
		case "plain":
			_, _ = io.WriteString(w, `["checkout", 42]`)
		case "frame":
			_, _ = io.WriteString(w, `[{"fields":[{"name":"__text","values":["Checkout"]},{"name":"__value","values":["checkout"]}]}]`)
		case "frame_text_value":
			_, _ = io.WriteString(w, `{"fields":[{"name":"value","values":["checkout"]},{"name":"text","values":["Checkout"]}]}`)
		case "frame_other":
			_, _ = io.WriteString(w, `[{"fields":[{"name":"service","values":["checkout","search"]}]}]`)
		case "broken":
			_, _ = io.WriteString(w, `{"options":`)
		default:
			http.Error(w, "store down", http.StatusInternalServerError)
		}
	}))
	ds := dataSource(shapes.URL)
	queries := []backend.DataQuery{}
	want := map[string][2][]string{
		"dunder": {{"Checkout"}, {"checkout"}}, "textvalue": {{"Checkout"}, {"checkout"}}, "plain": {{"checkout", "42"}, {"checkout", "42"}},
		"frame": {{"Checkout"}, {"checkout"}}, "frame_text_value": {{"Checkout"}, {"checkout"}}, "frame_other": {{"checkout", "search"}, {"checkout", "search"}},
	}
	for target := range want {
		queries = append(queries, variableQuery(target, `{"query":"`+target+`"}`))
	}
	errs := []struct {
		ref, model string
		status     backend.Status
		msg        string
	}{
		{"bad_json", `{"query":"{\"target\": versions}","format":"json"}`, backend.StatusBadRequest, `the variable query "{\"target\": versions}" has the JSON format but is not a valid JSON object`},
		{"broken", `{"query":"broken"}`, backend.StatusBadGateway, `POST /variable: the answer does not follow the in-house metrics contract`},
		{"failing", `{"query":"x"}`, backend.StatusBadGateway, `POST /variable: the service failed with 500 Internal Server Error`},
	}
	for _, e := range errs {
		queries = append(queries, variableQuery(e.ref, e.model))
	}
	res, err := host.QueryData(context.Background(), ds, queries, nil)
	if err != nil {
		t.Fatal(err)
	}
	for target, w := range want {
		t.Run(target, func(t *testing.T) {
			text, value := optionValues(t, res.Responses[target])
			if !reflect.DeepEqual(text, w[0]) || !reflect.DeepEqual(value, w[1]) {
				t.Errorf("text %v value %v, want %v", text, value, w)
			}
		})
	}
	for _, e := range errs {
		t.Run(e.ref, func(t *testing.T) {
			r := res.Responses[e.ref]
			if r.Error == nil || !strings.Contains(r.Error.Error(), e.msg) || r.Status != e.status || r.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("%v (status %d, source %q); want %d downstream saying %q", r.Error, r.Status, r.ErrorSource, e.status, e.msg)
			}
		})
	}

	// Never in an alert rule.
	res, err = host.QueryData(context.Background(), ds, []backend.DataQuery{variableQuery("A", `{"query":"dunder"}`)}, fromAlert)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Responses["A"]; r.Error == nil || !strings.Contains(r.Error.Error(), `"variable" queries cannot run in alert rules`) || r.Status != backend.StatusBadRequest {
		t.Errorf("in an alert rule: %v (%d)", r.Error, r.Status)
	}
}
