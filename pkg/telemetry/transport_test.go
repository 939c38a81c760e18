package telemetry

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestEndpointOf(t *testing.T) {
	tests := []struct {
		method, url, want string
	}{
		{"GET", "http://svc/api", "health"},
		{"GET", "http://svc/api/query", "health"},
		{"POST", "http://svc/api/query?token=x", "/query"},
		{"POST", "http://svc/query", "/query"},
		{"POST", "http://svc/metric-payload-options", "/metric-payload-options"},
		{"POST", "http://svc/x/tag-values", "/tag-values"},
		{"POST", "http://svc/elsewhere/42", "other"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.url, nil)
		if got := endpointOf(req); got != tt.want {
			t.Errorf("endpointOf(%s %s) = %q, want %q", tt.method, tt.url, got, tt.want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	for code, want := range map[int]string{200: "2xx", 204: "2xx", 302: "3xx", 404: "4xx", 429: "4xx", 503: "5xx", 0: "error", 600: "error"} {
		if got := statusClass(code); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", code, got, want)
		}
	}
}

// recording installs a recording tracer and the W3C propagator, as the
// SDK does when Grafana enables tracing, for one test.
func recording(t *testing.T) *tracetest.SpanRecorder {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTracer, prevProp := tracing.DefaultTracer(), otel.GetTextMapPropagator()
	tracing.InitDefaultTracer(tp.Tracer("test"))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		tracing.InitDefaultTracer(prevTracer)
		otel.SetTextMapPropagator(prevProp)
	})
	return rec
}

func TestMiddlewareObservesEveryAttempt(t *testing.T) {
	rec := recording(t)
	var mu sync.Mutex
	var traceparents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparents = append(traceparents, r.Header.Get("Traceparent"))
		mu.Unlock()
		switch r.URL.Path {
		case "/api/query":
			_, _ = w.Write([]byte(`[{"target":"a","datapoints":[]}]`)) // 32 bytes
		case "/api/tag-keys":
			http.Error(w, "no", http.StatusNotFound) // "no\n"
		default:
			_, _ = w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	closed := closedAddr(t)

	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	var scrubbed []string
	hc, err := httpclient.New(httpclient.Options{Middlewares: []httpclient.Middleware{m.Middleware(func(_ context.Context, s string) string {
		scrubbed = append(scrubbed, s)
		return s
	})}})
	if err != nil {
		t.Fatal(err)
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled, Remote: true,
	})
	traced := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	base := strings.Replace(srv.URL, "://", "://user:url-SECRET@", 1) + "/api"
	calls := []struct {
		ctx    context.Context
		method string
		url    string
	}{
		{traced, "POST", base + "/query?token=qry-SECRET"},
		{traced, "POST", base + "/query"},
		{context.Background(), "POST", base + "/tag-keys"},
		{traced, "GET", base},
		{traced, "POST", "http://" + closed + "/api/query"},
	}
	for _, c := range calls {
		req, _ := http.NewRequestWithContext(c.ctx, c.method, c.url, nil)
		res, err := hc.Do(req)
		if err == nil {
			_, _ = res.Body.Read(make([]byte, 64))
			_ = res.Body.Close()
		}
	}

	for _, tt := range []struct {
		endpoint, status string
		count            int
	}{{"/query", "2xx", 2}, {"/tag-keys", "4xx", 1}, {"health", "2xx", 1}, {"/query", "error", 1}} {
		h := m.duration.WithLabelValues(tt.endpoint, tt.status).(prometheus.Histogram)
		if got := testutil.CollectAndCount(h); got != 1 {
			t.Fatalf("%s %s: %d series", tt.endpoint, tt.status, got)
		}
		if got := histogramCount(t, h); got != uint64(tt.count) {
			t.Errorf("duration count for %s %s = %d, want %d", tt.endpoint, tt.status, got, tt.count)
		}
	}
	for endpoint, want := range map[string]float64{"/query": 64, "/tag-keys": 3, "health": 2} {
		if got := testutil.ToFloat64(m.bytes.WithLabelValues(endpoint)); got != want {
			t.Errorf("bytes for %s = %v, want %v", endpoint, got, want)
		}
	}

	// The trace context reaches the service as traceparent, under the
	// middleware's span; a request without one sends none.
	if len(traceparents) != 4 {
		t.Fatalf("the server saw %d requests, want 4", len(traceparents))
	}
	for i, tp := range traceparents {
		want := i != 2
		if got := strings.HasPrefix(tp, "00-0102030405060708090a0b0c0d0e0f10-"); got != want {
			t.Errorf("request %d: traceparent %q, want one of the caller's trace: %v", i, tp, want)
		}
		if want && strings.Contains(tp, "-0102030405060708-") {
			t.Errorf("request %d: traceparent %q names the caller's span, not the middleware's", i, tp)
		}
	}
	spans := rec.Ended()
	if len(spans) != len(calls) {
		t.Fatalf("%d spans, want one per attempt (%d)", len(spans), len(calls))
	}
	for _, s := range spans {
		for _, a := range s.Attributes() {
			if v := a.Value.String(); strings.Contains(v, "SECRET") {
				t.Errorf("span %q attribute %s = %q carries a secret", s.Name(), a.Key, v)
			}
		}
	}
	if len(scrubbed) != 1 || !strings.Contains(scrubbed[0], "refused") {
		t.Errorf("scrubbed %q, want the refused call's error", scrubbed)
	}
}

func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	h.Collect(ch)
	var out dto.Metric
	if err := (<-ch).Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetHistogram().GetSampleCount()
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	m.CacheLookup(true)
	m.Coalesced()
	m.StreamStarted()()
	m.observe("/query", "2xx", 0, 1)
}

func TestNewRegistersOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg); err == nil {
		t.Error("a second registration on the same registry passed; the names would be counted twice")
	}
}
