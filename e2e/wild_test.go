package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// pythonTime is what the widely copied Python example accepts:
// datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ"), which needs the
// fractional seconds JavaScript's toISOString always writes.
var pythonTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,6}Z$`)

// pythonExample plays that example and the minimal servers copied from
// it: no /metrics (it hangs up, or answers an empty 200), a /search list
// with an empty name, no /variable, a strict time parser, and annotation
// answers with float times, the annotation echoed and no title.
func pythonExample(metrics func(http.ResponseWriter)) http.Handler {
	strict := func(w http.ResponseWriter, body []byte) bool {
		var req struct {
			Range struct{ From, To string } `json:"range"`
		}
		_ = json.Unmarshal(body, &req)
		for _, s := range []string{req.Range.From, req.Range.To} {
			if !pythonTime.MatchString(s) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = fmt.Fprintf(w, "ValueError: time data %q does not match format '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ'", s)
				return false
			}
		}
		return true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/":
			_, _ = io.WriteString(w, "Python Grafana JSON example")
		case "/metrics":
			metrics(w)
		case "/search":
			_, _ = io.WriteString(w, `["", "upload_rate", "download_rate"]`)
		case "/query":
			if strict(w, body) {
				_, _ = io.WriteString(w, `[{"target":"upload_rate","datapoints":[[1.5,1795510800000],[2.5,1795514400000]]}]`)
			}
		case "/annotations":
			if strict(w, body) {
				var req map[string]any
				_ = json.Unmarshal(body, &req)
				echo, _ := json.Marshal(req["annotation"])
				_, _ = fmt.Fprintf(w, `[{"annotation":%s,"time":1795510800000.0,"text":"backup","tags":"ops,db"},{"annotation":%s,"time":1795510800000.0,"text":"backup","tags":"ops,db"}]`, echo, echo)
			}
		default:
			http.NotFound(w, r)
		}
	})
}

func TestServersInTheWild(t *testing.T) {
	hangUp := func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
	for name, metrics := range map[string]func(http.ResponseWriter){
		"/metrics hangs up":          hangUp,
		"/metrics answers empty 200": func(http.ResponseWriter) {},
	} {
		t.Run(name, func(t *testing.T) {
			ds := dataSource(serve(t, pythonExample(metrics)).URL)
			health, err := host.CheckHealth(context.Background(), ds)
			if err != nil || health.Status != backend.HealthStatusOk || !strings.Contains(health.Message, "lists 2 metrics") {
				t.Fatalf("health %v: %s, want it working with 2 metrics", err, health.Message)
			}
			res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{
				dq("Q", `{"target":"upload_rate"}`),
				variableQuery("V", `{"query":"rate"}`),
				annotationQuery("A", `{"query":"backup","name":"Backups","enable":true,"iconColor":"blue"}`),
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for ref, r := range res.Responses {
				if r.Error != nil {
					t.Errorf("%s: %v", ref, r.Error)
				}
			}
			if q := res.Responses["Q"]; len(q.Frames) != 1 || q.Frames[0].Fields[0].Len() != 2 {
				t.Errorf("query: %d frames", len(q.Frames))
			}
			if _, value := optionValues(t, res.Responses["V"]); len(value) != 2 {
				t.Errorf("variable options %v", value)
			}
			if _, evs := events(t, res.Responses["A"]); len(evs) != 1 || len(evs[0].Tags) != 2 || evs[0].Title != "" {
				t.Errorf("events %+v: want one, its repeat dropped, tags split", evs)
			}
		})
	}
}

// Save & test passes but /query answers 404: the message says the
// service lacks /query, not that the URL is wrong.
func TestQueryWithoutQueryEndpoint(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			_, _ = io.WriteString(w, "ok")
		case "/metrics":
			_, _ = io.WriteString(w, `["cpu"]`)
		default:
			http.NotFound(w, r)
		}
	}))
	ds := dataSource(srv.URL)
	if h, err := host.CheckHealth(context.Background(), ds); err != nil || h.Status != backend.HealthStatusOk {
		t.Fatalf("health %v %v", err, h)
	}
	res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"cpu"}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Responses["A"]
	want := "It answers health (GET " + srv.URL + ") and lists metrics (POST /metrics or /search), so the URL is right, but it has no /query endpoint"
	if r.Error == nil || !strings.Contains(r.Error.Error(), want) || strings.Contains(r.Error.Error(), "check that the URL") ||
		r.Status != backend.StatusNotFound || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("%v (status %d, source %q)", r.Error, r.Status, r.ErrorSource)
	}
}

// wildServer answers the paths it knows and what else it is given for
// the rest (a catch-all's "ok", a 404).
func wildServer(routes map[string]func(http.ResponseWriter), rest func(http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if route, ok := routes[r.URL.Path]; ok {
			route(w)
			return
		}
		rest(w)
	})
}

func says(body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { _, _ = io.WriteString(w, body) }
}

func notFound(w http.ResponseWriter) { http.Error(w, "404 page not found", http.StatusNotFound) }

// The servers of the contract found in the wild, each run through the
// plugin protocol as Grafana calls it, showing what the JSON datasource's
// and SimpleJSON's frontends show from the same answers.
func TestMoreServersInTheWild(t *testing.T) {
	hangUp := func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
	five := `["a","b","c","d","e"]`
	variable := func(t *testing.T, ds grafanahost.DataSource) (string, error) {
		res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{variableQuery("V", `{"query":"*","format":"string"}`)}, nil)
		if err != nil {
			return "", err
		}
		if r := res.Responses["V"]; r.Error != nil {
			return "", r.Error
		}
		text, _ := optionValues(t, res.Responses["V"])
		return strings.Join(text, ","), nil
	}
	tests := []struct {
		name   string
		server http.Handler
		run    func(t *testing.T, ds grafanahost.DataSource) (string, error)
		want   string // what the run shows, or the error's text
	}{
		{name: "/variable answers an empty 200: /search's five options",
			server: wildServer(map[string]func(http.ResponseWriter){"/variable": says(""), "/search": says(five)}, notFound),
			run:    variable, want: "a,b,c,d,e"},
		{name: "/variable hangs up: /search's options",
			server: wildServer(map[string]func(http.ResponseWriter){"/variable": hangUp, "/search": says(five)}, notFound),
			run:    variable, want: "a,b,c,d,e"},
		{name: "no /variable and no /search after a passing Save & test: no variable endpoint",
			server: wildServer(map[string]func(http.ResponseWriter){"/": says("ok"), "/metrics": says(`["cpu"]`)}, notFound),
			run:    variable, want: "it has no variable endpoint"},
		{name: "a catch-all's ok on payload options: /options lists three",
			server: wildServer(map[string]func(http.ResponseWriter){"/options": says(`["x","y","z"]`)}, says("ok")),
			run: func(t *testing.T, ds grafanahost.DataSource) (string, error) {
				res, err := host.CallResource(context.Background(), ds, "POST", "metric-payload-options", []byte(`{"metric":"m","name":"n"}`))
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%d %s", res.Status, res.Body), nil
			}, want: `200 [{"label":"x","value":"x"},{"label":"y","value":"y"},{"label":"z","value":"z"}]`},
		{name: "an annotation table Time, Country, Number: the countries are the text",
			server: wildServer(map[string]func(http.ResponseWriter){"/query": says(`[{"type":"table","columns":[{"text":"Time","type":"time"},{"text":"Country","type":"string"},{"text":"Number","type":"number"}],"rows":[[1795510800000,"SE",123],[1795510800000,"DE",231],[1795510800000,"US",321]]}]`)}, notFound),
			run: func(t *testing.T, ds grafanahost.DataSource) (string, error) {
				res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{annotationQuery("A", `{"target":"countries"}`)}, nil)
				if err != nil {
					return "", err
				}
				_, evs := events(t, res.Responses["A"])
				var texts []string
				for _, e := range evs {
					texts = append(texts, e.Text)
				}
				return strings.Join(texts, ","), nil
			}, want: "SE,DE,US"},
		{name: "/search lists only an empty name: Save & test passes with a warning",
			server: wildServer(map[string]func(http.ResponseWriter){"/": says("ok"), "/search": says(`[""]`)}, notFound),
			run: func(t *testing.T, ds grafanahost.DataSource) (string, error) {
				res, err := host.CheckHealth(context.Background(), ds)
				if err != nil {
					return "", err
				}
				if res.Status != backend.HealthStatusOk {
					return "", errors.New("Save & test failed: " + res.Message)
				}
				return res.Message, nil
			}, want: "answered. Warning: POST /search lists only metrics without a name (1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.run(t, dataSource(serve(t, tt.server).URL))
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
