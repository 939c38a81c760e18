package plugin

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// update regenerates the golden files in testdata: go test ./pkg/plugin -update
var update = flag.Bool("update", false, "regenerate the golden response files")

var (
	now      = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	oneHour  = backend.TimeRange{From: now.Add(-time.Hour), To: now}
	alerting = map[string]string{backend.FromAlertHeaderName: "true"}
)

// serve starts handler on a loopback port for the test.
func serve(t *testing.T, handler http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// instance builds a data source instance the way Grafana's instance
// manager does, from stored settings.
func instance(t *testing.T, url, jsonData string, secure map[string]string) instancemgmt.Instance {
	t.Helper()
	inst, err := NewInstance(context.Background(), backend.DataSourceInstanceSettings{
		UID: "test", Type: PluginID, URL: url, JSONData: json.RawMessage(jsonData), DecryptedSecureJSONData: secure,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := inst.(instancemgmt.InstanceDisposer); ok {
		t.Cleanup(d.Dispose)
	}
	return inst
}

func dataQuery(ref, model string) backend.DataQuery {
	return backend.DataQuery{RefID: ref, JSON: json.RawMessage(model), TimeRange: oneHour, MaxDataPoints: 12, Interval: 5 * time.Minute}
}

func query(t *testing.T, inst instancemgmt.Instance, headers map[string]string, queries ...backend.DataQuery) *backend.QueryDataResponse {
	t.Helper()
	res, err := inst.(backend.QueryDataHandler).QueryData(context.Background(), &backend.QueryDataRequest{Queries: queries, Headers: headers})
	if err != nil {
		t.Fatalf("the request failed as a whole: %v", err)
	}
	return res
}

// Untyped queries (every dashboard saved before query types, and the JSON
// datasource's) and "metrics" queries run the same way, in one batch;
// variable and annotation queries of the same request run on their own
// calls; a type this version does not know gets a clear 400 of its own.
func TestQueryTypes(t *testing.T) {
	ref := refserver.New(refserver.Options{})
	inst := instance(t, serve(t, ref).URL, `{}`, nil)
	untyped := dataQuery("A", `{"target":"cpu_usage"}`)
	metrics := typed(models.QueryTypeMetrics, "B", `{"target":"cpu_usage","payload":{"region":"eu-west"}}`)
	unknown := typed("logs", "C", `{"target":"cpu_usage"}`)
	variable := typed(models.QueryTypeVariable, "D", `{"query":"services"}`)
	annotations := typed(models.QueryTypeAnnotations, "E", `{"query":"checkout"}`)
	res := query(t, inst, nil, untyped, metrics, unknown, variable, annotations)
	for _, ref := range []string{"A", "B", "D", "E"} {
		if r := res.Responses[ref]; r.Error != nil || len(r.Frames) == 0 {
			t.Errorf("%s: %v, %d frames", ref, r.Error, len(r.Frames))
		}
	}
	c := res.Responses["C"]
	if c.Error == nil || !strings.Contains(c.Error.Error(), `query type "logs" is not supported`) ||
		c.Status != backend.StatusBadRequest || c.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("C: %v, status %v, source %q", c.Error, c.Status, c.ErrorSource)
	}
	if q, v, a := ref.Count("/query"), ref.Count("/variable"), ref.Count("/annotations"); q != 2 || v != 1 || a != 1 {
		t.Errorf("%d calls to /query, %d to /variable, %d to /annotations; want 2, 1, 1", q, v, a)
	}
}

func TestErrorResponse(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status backend.Status
		source backend.ErrorSource
	}{
		{"invalid query", &queryError{context.Canceled}, backend.StatusBadRequest, backend.ErrorSourceDownstream},
		{"invalid settings", &settingsError{http.ErrNoLocation}, backend.StatusBadRequest, backend.ErrorSourceDownstream},
		{"deadline", context.DeadlineExceeded, backend.StatusTimeout, backend.ErrorSourceDownstream},
		{"our bug", http.ErrNoLocation, backend.StatusInternal, backend.ErrorSourcePlugin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := errorResponse(tt.err)
			if r.Status != tt.status || r.ErrorSource != tt.source {
				t.Errorf("status %v source %q, want %v %q", r.Status, r.ErrorSource, tt.status, tt.source)
			}
		})
	}
}

// simpleJSONServer speaks the older SimpleJSON dialect: /search instead
// of /metrics and /variable, /annotations, and no ad hoc filters.
func simpleJSONServer() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, ".") })
	mux.HandleFunc("POST /search", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Target string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		out := []string{}
		for _, m := range []string{"upload_rate", "download_rate", "errors"} {
			if strings.Contains(m, req.Target) {
				out = append(out, m)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /query", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `[{"target":"upload_rate","datapoints":[[1,1795518000000],[2,1795518060000]]}]`)
	})
	mux.HandleFunc("POST /annotations", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Annotation struct{ Name, Query string } }
		_ = json.NewDecoder(r.Body).Decode(&req)
		// As the widely copied example answers: the annotation echoed,
		// title and tags as it has them.
		_ = json.NewEncoder(w).Encode([]map[string]any{
			{"annotation": req.Annotation, "time": 1795518600000, "title": "Release", "text": "query " + req.Annotation.Query, "tags": []string{"release", "web"}},
		})
	})
	return mux
}
