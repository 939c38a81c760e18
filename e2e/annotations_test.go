package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func annotationQuery(ref, model string) backend.DataQuery {
	q := dq(ref, model)
	q.QueryType = models.QueryTypeAnnotations
	return q
}

// event is one row of an annotation frame.
type event struct {
	Time    time.Time
	TimeEnd *time.Time
	Title   string
	Text    string
	Tags    []string
}

func events(t *testing.T, r backend.DataResponse) (fields []string, out []event) {
	t.Helper()
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	f := r.Frames[0]
	idx := map[string]*data.Field{}
	for _, fl := range f.Fields {
		fields = append(fields, fl.Name)
		idx[fl.Name] = fl
	}
	for i := 0; i < f.Rows(); i++ {
		e := event{Time: idx["time"].At(i).(time.Time).UTC(), Title: idx["title"].At(i).(string), Text: idx["text"].At(i).(string)}
		if end, ok := idx["timeEnd"]; ok {
			e.TimeEnd = end.At(i).(*time.Time)
		}
		if err := json.Unmarshal(idx["tags"].At(i).(json.RawMessage), &e.Tags); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return fields, out
}

// Annotation queries through the plugin protocol: the JSON datasource's
// way (/query) and SimpleJSON's (/annotations), against the reference
// server, with the request as the service received it.
func TestAnnotations(t *testing.T) {
	srv := record(refserver.New(refserver.Options{}))
	ds := dataSource(serve(t, srv).URL)
	res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{
		annotationQuery("JSON", `{"target":"deploy_events","payload":{"region":"us-east"}}`),
		annotationQuery("SIMPLE", `{"query":"payments","name":"Deploys","enable":true,"iconColor":"red","rangeRaw":{"from":"now-6h","to":"now"}}`),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"JSON", "SIMPLE"} {
		fields, evs := events(t, res.Responses[ref])
		if !reflect.DeepEqual(fields, []string{"time", "timeEnd", "title", "text", "tags"}) || len(evs) == 0 {
			t.Errorf("%s: fields %v, %d events", ref, fields, len(evs))
		}
		for _, e := range evs {
			if e.TimeEnd == nil || e.TimeEnd.Sub(e.Time) != 4*time.Minute || e.Time.Before(sixHours.From) || !strings.HasPrefix(e.Title, "Deployed ") {
				t.Errorf("%s: event %+v", ref, e)
			}
			if ref == "JSON" && e.Tags[1] != "us-east" || ref == "SIMPLE" && e.Tags[0] != "payments" {
				t.Errorf("%s: tags %v", ref, e.Tags)
			}
		}
	}
	sent := srv.last(t, "/annotations")
	if want := map[string]any{"name": "Deploys", "enable": true, "iconColor": "red", "query": "payments"}; !reflect.DeepEqual(sent["annotation"], want) {
		t.Errorf("/annotations received annotation %v", sent["annotation"])
	}
	if !reflect.DeepEqual(sent["rangeRaw"], map[string]any{"from": "now-6h", "to": "now"}) || sent["range"].(map[string]any)["to"] != "2026-11-24T12:00:00.000Z" {
		t.Errorf("/annotations received range %v, rangeRaw %v", sent["range"], sent["rangeRaw"])
	}
	if target := srv.last(t, "/query")["targets"].([]any)[0].(map[string]any); target["target"] != "deploy_events" || target["type"] != "table" {
		t.Errorf("/query received target %v", target)
	}
}

// What servers in the wild answer, and the errors, each with its status
// and source.
func TestAnnotationAnswersAndErrors(t *testing.T) {
	wild := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Annotation struct{ Query string } `json:"annotation"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch {
		case r.URL.Path == "/query":
			_, _ = io.WriteString(w, `[{"target":"cpu","datapoints":[[1,1795518000000]]}]`)
		case req.Annotation.Query == "float":
			_, _ = io.WriteString(w, `[{"annotation":{"name":"x","enable":true},"time":1795500000000.0,"title":"Deploy","text":"v2","tags":"web, api"}]`)
		case req.Annotation.Query == "echo_string":
			_, _ = io.WriteString(w, `[{"annotation":"x","time":1795500000000,"text":"no title","tags":["web"]}]`)
		case req.Annotation.Query == "twice":
			_, _ = io.WriteString(w, `[{"time":1795500000000,"text":"x","tags":[]},{"time":1795500000000,"text":"x","tags":[]}]`)
		case req.Annotation.Query == "bad_time":
			_, _ = io.WriteString(w, `[{"time":"yesterday","text":"x"}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	ds := dataSource(wild.URL)
	at := time.UnixMilli(1795500000000).UTC()
	res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{
		annotationQuery("float", `{"query":"float"}`),
		annotationQuery("echo_string", `{"query":"echo_string"}`),
		annotationQuery("twice", `{"query":"twice"}`),
		annotationQuery("bad_time", `{"query":"bad_time"}`),
		annotationQuery("series", `{"target":"cpu"}`),
		annotationQuery("not_found", `{"query":"nothing"}`),
		annotationQuery("no_target", `{"name":"x"}`),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string][]event{
		"float":       {{Time: at, Title: "Deploy", Text: "v2", Tags: []string{"web", "api"}}},
		"echo_string": {{Time: at, Text: "no title", Tags: []string{"web"}}},
		"twice":       {{Time: at, Text: "x", Tags: []string{}}},
	} {
		if _, got := events(t, res.Responses[ref]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: events %+v, want %+v", ref, got, want)
		}
	}
	for ref, w := range map[string]struct {
		status backend.Status
		msg    string
	}{
		"bad_time":  {backend.StatusBadGateway, `POST /annotations: the answer does not follow the in-house metrics contract: event 0: time: want epoch milliseconds or an RFC3339 time, got "yesterday"`},
		"series":    {backend.StatusBadGateway, `POST /query: the answer does not follow the in-house metrics contract: item 0: it is a time series`},
		"not_found": {backend.StatusNotFound, `POST /annotations: the service answered 404 Not Found`},
		"no_target": {backend.StatusBadRequest, `annotation query: no metric selected`},
	} {
		r := res.Responses[ref]
		if r.Error == nil || !strings.Contains(r.Error.Error(), w.msg) || r.Status != w.status || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: %v (status %d, source %q); want %d downstream saying %q", ref, r.Error, r.Status, r.ErrorSource, w.status, w.msg)
		}
	}

	res, err = host.QueryData(context.Background(), ds, []backend.DataQuery{annotationQuery("A", `{"query":"float"}`)}, fromAlert)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Responses["A"]; r.Error == nil || !strings.Contains(r.Error.Error(), `"annotations" queries cannot run in alert rules`) || r.Status != backend.StatusBadRequest {
		t.Errorf("in an alert rule: %v (%d)", r.Error, r.Status)
	}
}
