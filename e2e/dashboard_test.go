package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// recorder passes requests on to a handler and keeps each body it
// received, by path, so tests can check what the service was sent.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	got  map[string][]string
}

func record(next http.Handler) *recorder { return &recorder{next: next, got: map[string][]string{}} }

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got[req.URL.Path] = append(r.got[req.URL.Path], string(body))
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(w, req)
}

// bodies is every body path received, in order.
func (r *recorder) bodies(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got[path]...)
}

// last is the last body path received, decoded.
func (r *recorder) last(t *testing.T, path string) map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	bodies := r.got[path]
	if len(bodies) == 0 {
		t.Fatalf("the service received no %s", path)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(bodies[len(bodies)-1]), &m); err != nil {
		t.Fatalf("%s body %s: %v", path, bodies[len(bodies)-1], err)
	}
	return m
}

// savedDashboard is the part of a saved dashboard that holds queries.
type savedDashboard struct {
	Time struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Templating struct {
		List []struct {
			Name    string            `json:"name"`
			Type    string            `json:"type"`
			Query   json.RawMessage   `json:"query"`
			Filters []json.RawMessage `json:"filters"`
			Current struct {
				Value string `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name      string          `json:"name"`
			BuiltIn   int             `json:"builtIn"`
			Enable    bool            `json:"enable"`
			IconColor string          `json:"iconColor"`
			Target    json.RawMessage `json:"target"`
			Query     *string         `json:"query"`
		} `json:"list"`
	} `json:"annotations"`
	Panels []struct {
		Targets []json.RawMessage `json:"targets"`
	} `json:"panels"`
}

// A dashboard saved for the JSON datasource, with a chained variable, an
// ad hoc filter and two annotations, works once its data source is ours:
// the test plays Grafana and the frontend (it interpolates variables and
// copies the ad hoc filters and the relative range into the query model,
// as applyTemplateVariables does), and runs each saved query through the
// plugin protocol against the reference server.
func TestJSONDatasourceDashboard(t *testing.T) {
	raw, err := os.ReadFile("testdata/json-datasource-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash savedDashboard
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	srv := record(refserver.New(refserver.Options{}))
	ds := dataSource(serve(t, srv).URL)
	tr := backend.TimeRange{From: now.Add(-12 * time.Hour), To: now}
	rangeRaw := `{"from":"` + dash.Time.From + `","to":"` + dash.Time.To + `"}`
	vars := map[string]string{}
	interpolate := func(s string) string {
		for name, v := range vars {
			s = strings.ReplaceAll(s, "$"+name, v)
		}
		return s
	}
	run := func(queryType, model string) backend.DataResponse {
		t.Helper()
		q := backend.DataQuery{RefID: "A", QueryType: queryType, JSON: json.RawMessage(model), TimeRange: tr, MaxDataPoints: 500, Interval: time.Minute}
		res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		dr := res.Responses["A"]
		if dr.Error != nil {
			t.Fatalf("%s query %s: %v", queryType, model, dr.Error)
		}
		return dr
	}
	options := func(dr backend.DataResponse) []string {
		f := dr.Frames[0]
		if f.Fields[0].Name != "text" || f.Fields[1].Name != "value" {
			t.Fatalf("variable frame fields %s, %s", f.Fields[0].Name, f.Fields[1].Name)
		}
		out := []string{}
		for i := 0; i < f.Rows(); i++ {
			out = append(out, f.Fields[1].At(i).(string))
		}
		return out
	}

	// Template variables, in order: the second one's query names the first.
	var filters []json.RawMessage
	for _, v := range dash.Templating.List {
		switch v.Type {
		case "query":
			var model map[string]any
			if err := json.Unmarshal(v.Query, &model); err != nil {
				t.Fatal(err)
			}
			model["query"] = interpolate(model["query"].(string))
			model["refId"] = "variable-query"
			model["rangeRaw"] = json.RawMessage(rangeRaw)
			body, _ := json.Marshal(model)
			got := options(run(models.QueryTypeVariable, string(body)))
			t.Logf("$%s: %v", v.Name, got)
			if len(got) == 0 {
				t.Fatalf("$%s has no options", v.Name)
			}
			vars[v.Name] = got[0]
			if v.Current.Value != "" {
				vars[v.Name] = v.Current.Value
			}
		case "adhoc":
			filters = v.Filters
		}
	}
	if vars["service"] != "checkout" || !strings.HasPrefix(vars["version"], "v1.") {
		t.Fatalf("variables %v", vars)
	}
	sent := srv.last(t, "/variable")
	if want := map[string]any{"target": "versions", "service": "checkout"}; !reflect.DeepEqual(sent["payload"], want) {
		t.Errorf("the chained variable sent payload %v, want %v", sent["payload"], want)
	}
	if r := sent["range"].(map[string]any); r["from"] != "2026-11-24T00:00:00.000Z" || !reflect.DeepEqual(r["raw"], map[string]any{"from": "now-12h", "to": "now"}) {
		t.Errorf("the variable's range %v", r)
	}

	// The panel, with the dashboard's ad hoc filter.
	var target map[string]any
	if err := json.Unmarshal(dash.Panels[0].Targets[0], &target); err != nil {
		t.Fatal(err)
	}
	target["payload"] = interpolate(target["payload"].(string))
	target["adhocFilters"] = filters
	target["rangeRaw"] = json.RawMessage(rangeRaw)
	body, _ := json.Marshal(target)
	dr := run(models.QueryTypeMetrics, string(body))
	if len(dr.Frames) != 1 || dr.Frames[0].Fields[1].Labels["region"] != "eu-west" || dr.Frames[0].Fields[1].Labels["service"] != "checkout" {
		t.Errorf("the panel shows %d series (%v); want checkout in eu-west only", len(dr.Frames), dr.Frames[0].Fields[1].Labels)
	}
	sent = srv.last(t, "/query")
	wantFilters := []any{map[string]any{"key": "region", "operator": "=", "value": "eu-west"}}
	if !reflect.DeepEqual(sent["filters"], wantFilters) || !reflect.DeepEqual(sent["adhocFilters"], wantFilters) {
		t.Errorf("the service received filters %v and adhocFilters %v, want %v under both", sent["filters"], sent["adhocFilters"], wantFilters)
	}
	if !reflect.DeepEqual(sent["rangeRaw"], map[string]any{"from": "now-12h", "to": "now"}) {
		t.Errorf("rangeRaw %v", sent["rangeRaw"])
	}

	// Annotations: the built-in one is Grafana's own; the others are ours now.
	ran := 0
	for _, a := range dash.Annotations.List {
		if a.BuiltIn == 1 {
			continue
		}
		model := interpolate(string(a.Target))
		if a.Target == nil {
			b, _ := json.Marshal(map[string]any{"query": interpolate(*a.Query), "name": a.Name, "enable": a.Enable, "iconColor": a.IconColor})
			model = string(b)
		}
		f := run(models.QueryTypeAnnotations, model).Frames[0]
		names := []string{}
		for _, fl := range f.Fields {
			names = append(names, fl.Name)
		}
		if !reflect.DeepEqual(names, []string{"time", "timeEnd", "title", "text", "tags"}) || f.Rows() == 0 {
			t.Errorf("%s: fields %v, %d events", a.Name, names, f.Rows())
			continue
		}
		for i := 0; i < f.Rows(); i++ {
			var tags []string
			_ = json.Unmarshal(f.Fields[4].At(i).(json.RawMessage), &tags)
			if len(tags) == 0 || tags[0] != "checkout" || f.Fields[1].At(i).(*time.Time) == nil {
				t.Errorf("%s: event %d: tags %v, timeEnd %v", a.Name, i, tags, f.Fields[1].At(i))
			}
		}
		t.Logf("%s: %d events", a.Name, f.Rows())
		ran++
	}
	if ran != 2 {
		t.Errorf("%d annotations ran, want 2", ran)
	}
	if srv.last(t, "/annotations")["annotation"].(map[string]any)["query"] != "checkout" {
		t.Errorf("/annotations received %v", srv.last(t, "/annotations"))
	}
}
