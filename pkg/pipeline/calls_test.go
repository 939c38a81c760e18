package pipeline

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

var hour = backend.TimeRange{From: time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}

// recorder serves fixed answers by path and records what it received.
type recorder struct {
	mu       sync.Mutex
	received []string
	answers  map[string]func(http.ResponseWriter)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.received = append(rec.received, r.URL.Path+" "+string(body))
	rec.mu.Unlock()
	if a, ok := rec.answers[r.URL.Path]; ok {
		a(w)
		return
	}
	http.NotFound(w, r)
}

func answer(body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { _, _ = io.WriteString(w, body) }
}

func status(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

// hangUp closes the connection without writing a byte, as some minimal
// servers do for a path they do not route.
func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}
}

// Variables fall back to /search as every list endpoint falls back
// (FallbackFor).
func TestVariable(t *testing.T) {
	services := []contract.FindValue{{Text: "checkout", Value: "checkout"}, {Text: "search", Value: "search"}}
	const sentVariable = `/variable {"payload":{"target":"services"},"range":{"from":"2026-11-24T11:00:00.000Z","to":"2026-11-24T12:00:00.000Z","raw":{"from":"2026-11-24T11:00:00.000Z","to":"2026-11-24T12:00:00.000Z"}}}`
	const sentSearch = `/search {"target":"services"}`
	tests := []struct {
		name     string
		answers  map[string]func(http.ResponseWriter)
		want     []contract.FindValue
		received []string
		wantErr  string
		// reportedFirst: the answer reported is the first call's, not the
		// last one's.
		reportedFirst bool
	}{
		{name: "/variable", answers: map[string]func(http.ResponseWriter){"/variable": answer(`[{"__text":"checkout","__value":"checkout"},{"__text":"search","__value":"search"}]`)},
			want: services, received: []string{sentVariable}},
		{name: "404: /search", answers: map[string]func(http.ResponseWriter){"/search": answer(`["checkout","search"]`)},
			want: services, received: []string{sentVariable, sentSearch}},
		{name: "501: /search", answers: map[string]func(http.ResponseWriter){"/variable": status(501), "/search": answer(`[{"text":"checkout","value":"checkout"},{"text":"search","value":"search"}]`)},
			want: services, received: []string{sentVariable, sentSearch}},
		{name: "500 is an error, no fallback", answers: map[string]func(http.ResponseWriter){"/variable": status(500), "/search": answer(`[]`)},
			wantErr: "POST /variable: the service failed with 500", received: []string{sentVariable}},
		{name: "not the contract and no /search: the first answer is the error", answers: map[string]func(http.ResponseWriter){"/variable": answer(`<html>`)},
			wantErr: "POST /variable: the answer does not follow the in-house metrics contract", received: []string{sentVariable, sentSearch}},
		{name: "a catch-all's ok: /search", answers: map[string]func(http.ResponseWriter){"/variable": answer(`ok`), "/search": answer(`["checkout","search"]`)},
			want: services, received: []string{sentVariable, sentSearch}},
		{name: "empty 200: /search", answers: map[string]func(http.ResponseWriter){"/variable": answer(``), "/search": answer(`["checkout","search"]`)},
			want: services, received: []string{sentVariable, sentSearch}},
		{name: "empty 200 and no /search: no options", answers: map[string]func(http.ResponseWriter){"/variable": answer(` `)},
			want: []contract.FindValue{}, received: []string{sentVariable, sentSearch}, reportedFirst: true},
		{name: "empty list: no fallback", answers: map[string]func(http.ResponseWriter){"/variable": answer(`[]`), "/search": answer(`["checkout"]`)},
			want: []contract.FindValue{}, received: []string{sentVariable}},
		{name: "hangs up: /search, after the retries", answers: map[string]func(http.ResponseWriter){"/variable": hangUp, "/search": answer(`["checkout","search"]`)},
			want: services, received: []string{sentVariable, sentVariable, sentVariable, sentSearch}},
		{name: "404 on both after a passing Save & test: no variable endpoint",
			answers:  map[string]func(http.ResponseWriter){"/": answer(`ok`), "/metrics": answer(`["a"]`)},
			wantErr:  "POST /variable and POST /search: the service answered 404 Not Found to both. It answers health",
			received: []string{sentVariable, sentSearch, "/ ", `/metrics {"metric":"","payload":{}}`}},
		{name: "501 on /variable, 404 on /search: /search's 404 as it is",
			answers: map[string]func(http.ResponseWriter){"/variable": status(501), "/": answer(`ok`), "/metrics": answer(`["a"]`)},
			wantErr: "POST /search: the service answered 404 Not Found: check that the URL", received: []string{sentVariable, sentSearch}},
		{name: "404 on both at a wrong URL: check the URL", answers: map[string]func(http.ResponseWriter){},
			wantErr: "check that the URL is the base URL", received: []string{sentVariable, sentSearch, "/ "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{answers: tt.answers}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			v, err := models.ParseVariableQuery(backend.DataQuery{JSON: json.RawMessage(`{"query":"services","format":"string"}`), TimeRange: hour})
			if err != nil {
				t.Fatal(err)
			}
			res, err := newPipeline(t, srv.URL, `{}`, nil).Variable(context.Background(), v, false)
			if !reflect.DeepEqual(rec.received, tt.received) {
				t.Errorf("the service received\n%q\nwant\n%q", rec.received, tt.received)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Value.(*frames.VariableOptions).Values; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options %+v, want %+v", got, tt.want)
			}
			last := tt.received[len(tt.received)-1]
			if tt.reportedFirst {
				last = tt.received[0]
			}
			if sent := strings.SplitN(last, " ", 2)[1]; string(res.Sent.Body) != sent || !strings.HasSuffix(res.Sent.URL, strings.SplitN(last, " ", 2)[0]) {
				t.Errorf("reported %s %s, the service received %s", res.Sent.URL, res.Sent.Body, last)
			}
		})
	}
}

// Annotations take either way; a /query answer read as events and the
// same answer read as series are different answers, never shared.
func TestAnnotations(t *testing.T) {
	events := `[{"columns":[{"text":"time"},{"text":"title"},{"text":"text"},{"text":"tags"}],"rows":[[1795903749000,"Deploy","v2","a,b"]]}]`
	rec := &recorder{answers: map[string]func(http.ResponseWriter){
		"/query":       answer(events),
		"/annotations": answer(`[{"annotation":{"name":"x"},"time":1795903749000.0,"text":"v2","tags":["a"]},{"time":1795903749000,"text":"v2","tags":"a"}]`),
	}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	p := newPipeline(t, srv.URL, `{"cacheTTLSeconds": 60}`, nil)
	parse := func(model string) *models.AnnotationQuery {
		a, err := models.ParseAnnotationQuery(backend.DataQuery{RefID: "A", JSON: json.RawMessage(model), TimeRange: hour})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	res, err := p.Annotations(context.Background(), parse(`{"target":"deploy_events"}`), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []contract.Annotation{{Time: 1795903749000, Title: "Deploy", Text: "v2", Tags: []string{"a", "b"}}}
	if got := res.Value.(*frames.Annotations).Events; !reflect.DeepEqual(got, want) {
		t.Errorf("events %+v", got)
	}
	// The same /query body as a metric query: its own call, read as a table.
	q, err := models.ParseQuery(backend.DataQuery{RefID: "A", JSON: json.RawMessage(`{"target":"deploy_events"}`), TimeRange: hour})
	if err != nil {
		t.Fatal(err)
	}
	metric, err := p.Query(context.Background(), q, false)
	if err != nil || metric.Answer == nil || len(metric.Answer.Tables) != 1 || len(rec.received) != 2 {
		t.Fatalf("metric query: %+v, %v, %d calls", metric, err, len(rec.received))
	}

	res, err = p.Annotations(context.Background(), parse(`{"query":"checkout","name":"Deploys","enable":true,"iconColor":"red"}`), false)
	if err != nil {
		t.Fatal(err)
	}
	want = []contract.Annotation{{Time: 1795903749000, Text: "v2", Tags: []string{"a"}}}
	if got := res.Value.(*frames.Annotations).Events; !reflect.DeepEqual(got, want) {
		t.Errorf("SimpleJSON events %+v (the repeat should be dropped)", got)
	}
	if !strings.HasPrefix(rec.received[2], `/annotations {"range":{"from":"2026-11-24T11:00:00.000Z"`) || !strings.HasSuffix(rec.received[2], `"annotation":{"name":"Deploys","enable":true,"iconColor":"red","query":"checkout"}}`) {
		t.Errorf("/annotations received %s", rec.received[2])
	}
}

// Secrets a service echoes into options and events are scrubbed, and so
// are the quotes of answers that are not the contract.
func TestSmallAnswersAreScrubbed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/variable":
			_, _ = io.WriteString(w, `[{"__text":"`+auth+`","__value":"v"}]`)
		case "/annotations":
			_, _ = io.WriteString(w, `{"oops":"`+strings.Repeat("x", 40)+auth+`"}`)
		}
	}))
	defer srv.Close()
	p := newPipeline(t, srv.URL, `{}`, map[string]string{"apiKey": "k3y-secret-value"})
	v, _ := models.ParseVariableQuery(backend.DataQuery{JSON: json.RawMessage(`{"query":"x"}`), TimeRange: hour})
	res, err := p.Variable(context.Background(), v, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Value.(*frames.VariableOptions).Values[0].Text; got != "Bearer [redacted]" {
		t.Errorf("option text %q", got)
	}
	a, _ := models.ParseAnnotationQuery(backend.DataQuery{JSON: json.RawMessage(`{"query":"x"}`), TimeRange: hour})
	_, err = p.Annotations(context.Background(), a, false)
	if err == nil || strings.Contains(err.Error(), "k3y") || !strings.Contains(err.Error(), "not the contract's JSON") {
		t.Errorf("error %v", err)
	}
}
