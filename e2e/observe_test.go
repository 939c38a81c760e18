package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"google.golang.org/grpc/metadata"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// metricSeries reads the plugin's own series out of CollectMetrics'
// text format: "name{labels}" to value.
func metricSeries(tb testing.TB, h *grafanahost.Host) map[string]float64 {
	tb.Helper()
	text, err := h.CollectMetrics(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "inhouse_metrics_") || strings.Contains(line, "_bucket{") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// meteredUpstream is the reference server behind a recorder: the bytes
// and answers it completed per path, which the plugin's counters must
// match, and two gates that hold chosen /query calls until the test
// lets them go.
type meteredUpstream struct {
	ref *refserver.Server

	mu       sync.Mutex
	bytes    map[string]int64
	answered map[string]int // by path and status class: "/query 2xx"

	// shared holds the calls for the "payments" service until closed.
	shared chan struct{}
	// live lets the first two "checkout" calls through (the live
	// query's answer and its stream's first poll) and holds the rest
	// until closed, telling held when one waits.
	live      chan struct{}
	liveCalls int
	held      chan struct{}
}

func newMeteredUpstream() *meteredUpstream {
	return &meteredUpstream{ref: refserver.New(refserver.Options{}), bytes: map[string]int64{}, answered: map[string]int{},
		shared: make(chan struct{}), live: make(chan struct{}), held: make(chan struct{}, 16)}
}

type countingWriter struct {
	http.ResponseWriter
	n      int64
	status int
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (u *meteredUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	cw := &countingWriter{ResponseWriter: w}
	switch {
	case bytes.Contains(body, []byte(`"reject_me"`)):
		http.Error(cw, "unknown target reject_me", http.StatusBadRequest)
	case bytes.Contains(body, []byte(`"payments"`)):
		<-u.shared
		u.ref.ServeHTTP(cw, r)
	case bytes.Contains(body, []byte(`"checkout"`)):
		u.mu.Lock()
		u.liveCalls++
		hold := u.liveCalls > 2
		u.mu.Unlock()
		if hold {
			u.held <- struct{}{}
			select {
			case <-u.live:
			case <-r.Context().Done():
				return // not answered: the plugin hung up
			}
		}
		u.ref.ServeHTTP(cw, r)
	default:
		u.ref.ServeHTTP(cw, r)
	}
	u.mu.Lock()
	u.bytes[r.URL.Path] += cw.n
	u.answered[fmt.Sprintf("%s %dxx", r.URL.Path, cw.status/100)]++
	u.mu.Unlock()
}

func (u *meteredUpstream) snapshot() (map[string]int64, map[string]int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, a := map[string]int64{}, map[string]int{}
	for k, v := range u.bytes {
		b[k] = v
	}
	for k, v := range u.answered {
		a[k] = v
	}
	return b, a
}

// waitForMetrics reads the metrics until ok accepts them: the plugin counts
// what happens on its own goroutines, which the test cannot join.
func waitForMetrics(t *testing.T, h *grafanahost.Host, what string, ok func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m := metricSeries(t, h)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; metrics:\n%s", what, formatSeries(m))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func formatSeries(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %v\n", k, m[k])
	}
	return b.String()
}

const (
	cacheHits      = `inhouse_metrics_cache_requests_total{result="hit"}`
	cacheMisses    = `inhouse_metrics_cache_requests_total{result="miss"}`
	coalescedCalls = `inhouse_metrics_coalesced_calls_total`
	activeStreams  = `inhouse_metrics_live_streams_active`
)

func durationCount(endpoint, class string) string {
	return `inhouse_metrics_upstream_request_duration_seconds_count{endpoint="` + endpoint + `",status="` + class + `"}`
}

func responseBytes(endpoint string) string {
	return `inhouse_metrics_upstream_response_bytes_total{endpoint="` + endpoint + `"}`
}

// CollectMetrics, read over the plugin protocol, moves with the calls:
// queries the service answers, one it refuses, a repeat the cache
// answers, a resource call, identical queries sharing one call, and a
// live stream. A plugin process of its own, so no other test's calls
// are counted.
func TestCollectMetricsCountCalls(t *testing.T) {
	h := startHost(t, &syncBuffer{})
	up := newMeteredUpstream()
	srv := serve(t, up)
	ds := liveDS(srv.URL)
	ds.JSONData["cacheTTLSeconds"] = 600
	before := metricSeries(t, h)
	for _, name := range []string{cacheHits, cacheMisses, coalescedCalls, activeStreams} {
		if _, ok := before[name]; !ok {
			t.Fatalf("%s is not served before any call; got:\n%s", name, formatSeries(before))
		}
	}

	to := time.Now().Truncate(time.Minute)
	rng := backend.TimeRange{From: to.Add(-time.Hour), To: to}
	at := func(ref, target string) backend.DataQuery {
		q := dq(ref, `{"target":"`+target+`","payload":{"service":"search"}}`)
		q.TimeRange, q.MaxDataPoints, q.Interval = rng, 60, time.Minute
		return q
	}
	const n = 3
	res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{
		at("A", "requests_per_second"), at("B", "latency_p99_ms"), at("C", "error_ratio"), at("D", "reject_me"),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ref, r := range res.Responses {
		if (r.Error != nil) != (ref == "D") {
			t.Fatalf("query %s: %v", ref, r.Error)
		}
	}
	// The same query again: the cache answers it.
	if res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{at("A", "requests_per_second")}, nil); err != nil || res.Responses["A"].Error != nil {
		t.Fatal(err, res)
	}
	if rr, err := h.CallResource(context.Background(), ds, http.MethodPost, "metrics", []byte(`{}`)); err != nil || rr.Status != http.StatusOK {
		t.Fatalf("resource call: %v %+v", err, rr)
	}

	// Identical queries at once: one call, the others join it. The
	// service holds it until all have joined, which the counter tells.
	const sharers = 5
	var wg sync.WaitGroup
	for range sharers {
		wg.Go(func() {
			q := dq("S", `{"target":"cpu_usage","payload":{"service":"payments"}}`)
			q.TimeRange, q.MaxDataPoints, q.Interval = rng, 60, time.Minute
			res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
			if err != nil || res.Responses["S"].Error != nil {
				t.Error(err, res)
			}
		})
	}
	waitForMetrics(t, h, "the shared call's joiners", func(m map[string]float64) bool {
		return m[coalescedCalls]-before[coalescedCalls] == sharers-1
	})
	close(up.shared)
	wg.Wait()

	// A live query and its stream: the stream's first poll is answered,
	// its second held, so the counts below are final while it runs.
	_, ch := liveQuery(t, h, ds, `{"target":"cpu_usage","payload":{"service":"checkout"}}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ended error
	packets := watch(ctx, t, h, ds, ch, &ended)
	next(t, packets, 10*time.Second)
	select {
	case <-up.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream's second poll never came")
	}
	after := metricSeries(t, h)
	upBytes, upAnswered := up.snapshot()

	delta := func(name string) float64 { return after[name] - before[name] }
	queryAnswers := n + 1 + 1 + 1 // the n queries, the shared call, the live query, its first poll
	for _, tt := range []struct {
		name string
		want float64
	}{
		{cacheHits, 1},
		// Every query the cache may answer: the n and the refused one,
		// each sharer, and the live query; the stream's polls skip it.
		{cacheMisses, n + 1 + sharers + 1},
		{coalescedCalls, sharers - 1},
		{activeStreams, 1},
		{durationCount("/query", "2xx"), float64(queryAnswers)},
		{durationCount("/query", "4xx"), 1},
		{durationCount("/metrics", "2xx"), 1},
		{responseBytes("/query"), float64(upBytes["/query"])},
		{responseBytes("/metrics"), float64(upBytes["/metrics"])},
	} {
		if got := delta(tt.name); got != tt.want {
			t.Errorf("%s moved by %v, want %v", tt.name, got, tt.want)
		}
	}
	// The service's side of the same calls.
	if upAnswered["/query 2xx"] != queryAnswers || upAnswered["/query 4xx"] != 1 || upAnswered["/metrics 2xx"] != 1 {
		t.Errorf("the service answered %v", upAnswered)
	}
	if upBytes["/query"] == 0 || upBytes["/metrics"] == 0 {
		t.Errorf("the service sent no bytes: %v", upBytes)
	}
	t.Logf("CollectMetrics after the calls:\n%s", formatSeries(after))

	cancel()
	close(up.live)
	waitForMetrics(t, h, "the stream's end", func(m map[string]float64) bool { return m[activeStreams] == before[activeStreams] })
	for range packets {
	}
	if ended != nil && !errors.Is(ended, context.Canceled) && grpcCode(ended) != "Canceled" {
		t.Errorf("RunStream ended with %v", ended)
	}
}

// grpcCode is a gRPC error's code name, as RunStream's end arrives.
func grpcCode(err error) string {
	s := err.Error()
	if i := strings.Index(s, "code = "); i >= 0 {
		return strings.Fields(s[i+len("code = "):])[0]
	}
	return s
}

// The trace context of a request reaches the service as a W3C
// traceparent of the same trace, under the plugin's own span; a
// traceparent the browser sent among the request's headers does not.
func TestTraceContextReachesTheService(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{}
	ref := refserver.New(refserver.Options{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = append(seen[r.URL.Path], r.Header.Get("Traceparent"))
		mu.Unlock()
		ref.ServeHTTP(w, r)
	}))
	const (
		grafanaTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		grafanaSpan  = "00f067aa0ba902b7"
		browserTrace = "0af7651916cd43dd8448eb211c80319c"
	)
	browser := &grafanahost.Caller{Login: "alice", Headers: map[string][]string{
		"Traceparent": {"00-" + browserTrace + "-b7ad6b7169203331-01"},
	}}
	traced := metadata.AppendToOutgoingContext(context.Background(), "traceparent", "00-"+grafanaTrace+"-"+grafanaSpan+"-01")
	tests := []struct {
		name      string
		ctx       context.Context
		path      string
		wantTrace bool
	}{
		{"query with a trace context", traced, "/query", true},
		{"resource call with a trace context", traced, "/metrics", true},
		{"query without one", context.Background(), "/query", false},
		{"resource call without one", context.Background(), "/metrics", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			clear(seen)
			mu.Unlock()
			ds := dataSource(srv.URL)
			if tt.path == "/query" {
				q := dq("A", `{"target":"cpu_usage"}`)
				res, err := host.QueryDataAs(tt.ctx, ds, browser, []backend.DataQuery{q}, map[string]string{"traceparent": browser.Headers["Traceparent"][0]})
				if err != nil || res.Responses["A"].Error != nil {
					t.Fatal(err, res)
				}
			} else if rr, err := host.CallResourceAs(tt.ctx, ds, browser, http.MethodPost, "metrics", []byte(`{}`)); err != nil || rr.Status != http.StatusOK {
				t.Fatal(err, rr)
			}
			mu.Lock()
			got := append([]string(nil), seen[tt.path]...)
			mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("the service saw %d calls to %s, want 1", len(got), tt.path)
			}
			tp := got[0]
			if strings.Contains(tp, browserTrace) {
				t.Errorf("the browser's traceparent reached the service: %q", tp)
			}
			if !tt.wantTrace {
				if tp != "" {
					t.Errorf("traceparent %q without a trace context", tp)
				}
				return
			}
			parts := strings.Split(tp, "-")
			if len(parts) != 4 || parts[0] != "00" || parts[1] != grafanaTrace || len(parts[2]) != 16 {
				t.Fatalf("traceparent %q, want version 00 of trace %s", tp, grafanaTrace)
			}
			t.Logf("traceparent sent: %s", tp)
		})
	}
}
