package plugin

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// Annotation queries both ways: the JSON datasource's target through
// /query, and a saved SimpleJSON annotation through /annotations.
func TestAnnotationsGolden(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	simple := serve(t, simpleJSONServer())
	tests := []struct {
		name, url, model string
	}{
		// Deployments as regions: timeEnd is in the frame.
		{"annotations-json-datasource", ref.URL, `{"target":"deploy_events","payload":{"service":"checkout"},"refId":"Anno"}`},
		{"annotations-simplejson", ref.URL, `{"query":"eu-west","name":"Deploys","enable":true,"iconColor":"rgba(255, 96, 96, 1)","rangeRaw":{"from":"now-12h","to":"now"}}`},
		// The echoed annotation and points only: no timeEnd field.
		{"annotations-simplejson-server", simple.URL, `{"query":"web","name":"Releases","enable":true,"iconColor":"green"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := typed(models.QueryTypeAnnotations, "Anno", tt.model)
			q.TimeRange = backend.TimeRange{From: now.Add(-12 * time.Hour), To: now}
			dr := query(t, instance(t, tt.url, `{}`, nil), nil, q).Responses["Anno"]
			if dr.Error != nil {
				t.Fatal(dr.Error)
			}
			golden(t, tt.name, tt.url, dr)
		})
	}
}

// What servers in the wild answer to /annotations, and what tables /query
// answers, all become the same frame.
func TestAnnotationAnswerShapes(t *testing.T) {
	type event struct {
		Time    int64
		TimeEnd *int64
		Title   string
		Text    string
		Tags    []string
	}
	end := int64(1795903809000)
	tests := []struct {
		name, model, answer string
		want                []event
	}{
		{"float time, tags as a string, no title", `{"query":"q"}`, `[{"time":1795903749000.0,"text":"deploy","tags":"a, b"}]`,
			[]event{{Time: 1795903749000, Text: "deploy", Tags: []string{"a", "b"}}}},
		{"annotation echoed as an object and as a string", `{"query":"q"}`, `[{"annotation":{"name":"x","enable":true},"time":1795903749000,"title":"T","text":"x","tags":[]},{"annotation":"x","time":1795903750000,"text":"y","tags":null}]`,
			[]event{{Time: 1795903749000, Title: "T", Text: "x", Tags: []string{}}, {Time: 1795903750000, Text: "y", Tags: []string{}}}},
		{"the same event twice", `{"query":"q"}`, `[{"time":1795903749000,"text":"x","tags":["a"]},{"time":1795903749000,"text":"x","tags":["a"]}]`,
			[]event{{Time: 1795903749000, Text: "x", Tags: []string{"a"}}}},
		{"a region", `{"query":"q"}`, `[{"time":1795903749000,"timeEnd":1795903809000,"text":"x"},{"time":1795903749000,"text":"y"}]`,
			[]event{{Time: 1795903749000, TimeEnd: &end, Text: "x", Tags: []string{}}, {Time: 1795903749000, Text: "y", Tags: []string{}}}},
		{"a table from /query", `{"target":"events"}`, `[{"type":"table","columns":[{"text":"Time","type":"time"},{"text":"title"},{"text":"text"},{"text":"tags"}],"rows":[[1795903749000,"T","x",["a","b"]]]}]`,
			[]event{{Time: 1795903749000, Title: "T", Text: "x", Tags: []string{"a", "b"}}}},
		{"a frame from /query", `{"target":"events"}`, `[{"fields":[{"name":"time","values":["2026-11-28T22:09:09Z"]},{"name":"timeEnd","values":[1795903809000]},{"name":"text","values":["x"]},{"name":"tags","values":["a,b"]}]}]`,
			[]event{{Time: 1795903749000, TimeEnd: &end, Text: "x", Tags: []string{"a", "b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, tt.answer)
			}))
			dr := query(t, instance(t, srv.URL, `{}`, nil), nil, typed(models.QueryTypeAnnotations, "A", tt.model)).Responses["A"]
			if dr.Error != nil {
				t.Fatal(dr.Error)
			}
			f := dr.Frames[0]
			byName := map[string]int{}
			for i, fl := range f.Fields {
				byName[fl.Name] = i
			}
			got := []event{}
			for i := 0; i < f.Rows(); i++ {
				e := event{Time: f.Fields[byName["time"]].At(i).(time.Time).UnixMilli(),
					Title: f.Fields[byName["title"]].At(i).(string), Text: f.Fields[byName["text"]].At(i).(string)}
				if err := json.Unmarshal(f.Fields[byName["tags"]].At(i).(json.RawMessage), &e.Tags); err != nil {
					t.Fatal(err)
				}
				if j, ok := byName["timeEnd"]; ok {
					if p := f.Fields[j].At(i).(*time.Time); p != nil {
						ms := p.UnixMilli()
						e.TimeEnd = &ms
					}
				}
				got = append(got, e)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// Failed annotation queries: each with its status and source.
func TestAnnotationErrors(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	noAnnotations := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			_, _ = io.WriteString(w, "ok")
		case "/metrics":
			_, _ = io.WriteString(w, `["m"]`)
		default:
			http.NotFound(w, r)
		}
	}))
	noTime := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"columns":[{"text":"title"}],"rows":[["x"]]}]`)
	}))
	tests := []struct {
		name, url, model string
		headers          map[string]string
		status           backend.Status
		want             string
	}{
		{"a time series answer", ref.URL, `{"target":"cpu_usage"}`, nil, backend.StatusBadGateway, `POST /query: the answer does not follow the in-house metrics contract: item 0: it is a time series`},
		{"a table without time", noTime.URL, `{"target":"events"}`, nil, backend.StatusBadGateway, `POST /query: the answer does not follow the in-house metrics contract: item 0: no "time" column (the columns are ["title"])`},
		{"neither target nor query", ref.URL, `{"name":"x"}`, nil, backend.StatusBadRequest, `annotation query: no metric selected`},
		{"in an alert rule", ref.URL, `{"query":"x"}`, alerting, backend.StatusBadRequest, `"annotations" queries cannot run in alert rules`},
		{"no /annotations endpoint", noAnnotations.URL, `{"query":"x","name":"n","enable":true}`, nil, backend.StatusNotFound,
			`POST /annotations: the service answered 404 Not Found. It answers health (GET ` + noAnnotations.URL + `) and lists metrics (POST /metrics or /search), so the URL is right, but it has no /annotations endpoint`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := query(t, instance(t, tt.url, `{}`, nil), tt.headers, typed(models.QueryTypeAnnotations, "A", tt.model)).Responses["A"]
			if dr.Error == nil || !strings.Contains(dr.Error.Error(), tt.want) {
				t.Fatalf("error %v, want %q", dr.Error, tt.want)
			}
			if dr.Status != tt.status || dr.ErrorSource != backend.ErrorSourceDownstream || len(dr.Frames) != 0 {
				t.Errorf("status %v source %q, %d frames; want %v from downstream", dr.Status, dr.ErrorSource, len(dr.Frames), tt.status)
			}
		})
	}
}
