package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/secrets"
)

// Each case's whole response (frames, types, labels, notices, errors) is
// kept in testdata/<name>.jsonc; regenerate with -update after a change
// that is meant to alter what Grafana receives.
func TestQueryDataGolden(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	// Two series on the same grid, the second missing its last point,
	// as a service whose latest sample of one host is late answers.
	uneven := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"target":"cpu_usage","tags":{"host":"a"},"datapoints":[[1.5,1795518000000],[1.75,1795518300000],[2,1795518600000]]},`+
			`{"target":"cpu_usage","tags":{"host":"b"},"datapoints":[[0.5,1795518000000],[0.25,1795518300000]]}]`)
	}))
	const wide = `{"layout":"wide"}`
	tests := []struct {
		name    string
		query   string
		headers map[string]string
		// jsonData is the data source's settings ({} unless set); server
		// answers instead of the reference server when set.
		jsonData string
		server   string
	}{
		{"series-alias", `{"target":"requests_per_second","payload":{"service":["checkout"]},"alias":"{{service}} {{region}}"}`, nil, "", ""},
		// Saved by the JSON datasource's frontend: payload as a string, editorMode, no format.
		{"json-datasource-model", `{"target":"latency_p99_ms","payload":"{\"region\":\"eu-west\"}","editorMode":"code"}`, nil, "", ""},
		// Saved by SimpleJSON: "type": "timeserie", legendFormat.
		{"simplejson-model", `{"target":"error_ratio","type":"timeserie","legendFormat":"{{region}}"}`, nil, "", ""},
		{"series-as-table", `{"target":"cpu_usage","payload":{"region":"eu-west"},"format":"table"}`, nil, "", ""},
		{"table", `{"target":"deployments","format":"table"}`, nil, "", ""},
		{"series-in-alert-rule", `{"target":"cpu_usage","payload":{"region":"eu-west"}}`, alerting, "", ""},
		// Nothing for the target: a notice says what to check.
		{"no-series", `{"target":"cpu_usgae"}`, nil, "", ""},
		// Live over a range that ends before now (these cases' range is a
		// fixed hour): ordinary frames, and a notice that says why the
		// panel does not stream. Live frames are checked in stream_test.go
		// and e2e, over ranges that reach now.
		{"live-past-range", `{"target":"cpu_usage","payload":{"service":["checkout","search"],"region":"eu-west"},"live":true}`, nil, "", ""},
		// An alert rule evaluates a live query like any other.
		{"live-in-alert-rule", `{"target":"cpu_usage","payload":{"service":["checkout"],"region":"eu-west"},"live":true}`, alerting, "", ""},
		// Filters as the frontend sends them after interpolation: the
		// service receives them under both names and narrows the answer.
		{"adhoc-filters", `{"target":"cpu_usage","adhocFilters":[{"key":"region","operator":"=","value":"eu-west"},{"key":"service","operator":"=~","value":"check.*|pay.*","condition":"AND"}]}`, nil, "", ""},
		// Layout "wide": series on the same timestamps share one frame.
		{"wide-series-alias", `{"target":"requests_per_second","payload":{"service":["checkout"]},"alias":"{{service}} {{region}}"}`, nil, wide, ""},
		{"wide-in-alert-rule", `{"target":"cpu_usage","payload":{"region":"eu-west"}}`, alerting, wide, ""},
		// Timestamps differ: multi frames and an info notice that says why.
		{"wide-fallback", `{"target":"cpu_usage"}`, nil, wide, uneven.URL},
		{"wide-no-series", `{"target":"cpu_usgae"}`, nil, wide, ""},
		{"wide-series-as-table", `{"target":"cpu_usage","payload":{"region":"eu-west"},"format":"table"}`, nil, wide, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, jsonData := ref.URL, `{}`
			if tt.server != "" {
				url = tt.server
			}
			if tt.jsonData != "" {
				jsonData = tt.jsonData
			}
			res := query(t, instance(t, url, jsonData, nil), tt.headers, dataQuery("A", tt.query))
			golden(t, tt.name, url, res.Responses["A"])
		})
	}
}

// A query that cannot run gets its own 400 error from downstream (the
// user's input) that says what to change. The SDK's golden files cannot
// hold a response without frames, so these are checked directly.
func TestQueryErrors(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	tests := []struct {
		name, query string
		headers     map[string]string
		want        string
	}{
		{"no metric", `{"payload":{}}`, nil, "no metric selected: choose a metric in the query editor"},
		{"unknown format", `{"target":"cpu_usage","format":"heatmap"}`, nil, `format "heatmap" is not supported: use "time_series" or "table"`},
		{"malformed payload", `{"target":"cpu_usage","payload":"{region"}`, nil, "payload is not valid JSON"},
		{"table format in an alert rule", `{"target":"deployments","format":"table"}`, alerting, `alert rules cannot evaluate; set Format to "Time series"`},
		{"table answer in an alert rule", `{"target":"deployments"}`, alerting, `alert rules cannot evaluate; set Format to "Time series"`},
		{"live table", `{"target":"deployments","format":"table","live":true}`, nil, `live queries stream time series: set Format to "Time series"`},
		{"live not a boolean", `{"target":"cpu_usage","live":"yes"}`, nil, "the query is not valid JSON"},
	}
	inst := instance(t, ref.URL, `{}`, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := query(t, inst, tt.headers, dataQuery("A", tt.query)).Responses["A"]
			if dr.Error == nil || !strings.Contains(dr.Error.Error(), tt.want) {
				t.Fatalf("error %v, want it to say %q", dr.Error, tt.want)
			}
			if dr.Status != backend.StatusBadRequest || dr.ErrorSource != backend.ErrorSourceDownstream || len(dr.Frames) != 0 {
				t.Errorf("status %v, source %q, %d frames; want 400 from downstream and no frames", dr.Status, dr.ErrorSource, len(dr.Frames))
			}
		})
	}
}

// When Save & test passes but /query answers 404, the message says the
// service lacks /query, not that the URL is wrong.
func TestQueryNotFoundIsExplained(t *testing.T) {
	noQuery := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			_, _ = io.WriteString(w, "ok")
		case "/metrics":
			_, _ = io.WriteString(w, `[{"value":"cpu_usage"}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	wrongURL := serve(t, http.NotFoundHandler())
	tests := []struct {
		name, url, want string
	}{
		{"the service has no /query", noQuery.URL, "It answers health (GET " + noQuery.URL + ") and lists metrics (POST /metrics or /search), so the URL is right, but it has no /query endpoint: the service must implement POST /query"},
		{"the URL is wrong", wrongURL.URL, "check that the URL is the base URL of the metrics contract"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := query(t, instance(t, tt.url, `{}`, nil), nil, dataQuery("A", `{"target":"cpu_usage"}`)).Responses["A"]
			if dr.Error == nil || !strings.Contains(dr.Error.Error(), "POST /query: the service answered 404 Not Found") || !strings.Contains(dr.Error.Error(), tt.want) {
				t.Fatalf("error %v, want %q", dr.Error, tt.want)
			}
			if dr.Status != backend.StatusNotFound || dr.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("status %v source %q", dr.Status, dr.ErrorSource)
			}
		})
	}
}

// Alert rules read every series as a data plane time series collection,
// in either layout.
func TestAlertRuleSeriesAreDataPlane(t *testing.T) {
	url := serve(t, refserver.New(refserver.Options{})).URL
	tests := []struct {
		jsonData string
		want     data.FrameType
	}{
		{`{}`, data.FrameTypeTimeSeriesMulti},
		{`{"layout":"wide"}`, data.FrameTypeTimeSeriesWide},
	}
	for _, tt := range tests {
		t.Run(string(tt.want), func(t *testing.T) {
			res := query(t, instance(t, url, tt.jsonData, nil), alerting, dataQuery("A", `{"target":"cpu_usage","payload":{"region":"eu-west"}}`))
			frames := res.Responses["A"].Frames
			if len(frames) == 0 || frames[0].Meta.Type != tt.want {
				t.Fatalf("%d frames, want %s", len(frames), tt.want)
			}
			reader, err := timeseries.CollectionReaderFromFrames(frames)
			if err != nil {
				t.Fatal(err)
			}
			c, err := reader.GetCollection(true)
			if err != nil || len(c.Refs) != 3 {
				t.Fatalf("collection: %d refs, %v", len(c.Refs), err)
			}
		})
	}
}

// The query inspector shows exactly the request the service received:
// method, URL with the base path and query string (values redacted), and
// body.
func TestInspectorShowsTheRequestSent(t *testing.T) {
	tests := []struct{ name, base string }{
		{"bare host", ""},
		{"path prefix", "/api/grafana/json"},
		{"trailing slash", "/api/grafana/json/"},
		{"query string", "/api?tenant=x"},
		{"trailing slash and query string", "/api/?tenant=x&region=eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var received string
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var indented bytes.Buffer
				if err := json.Indent(&indented, body, "", "  "); err != nil {
					t.Error(err)
				}
				// Query values may be tokens: the inspector names their keys.
				received = r.Method + " " + secrets.RedactURL("http://"+r.Host+r.URL.RequestURI()) + "\n" + indented.String()
				_, _ = io.WriteString(w, `[]`)
			}))
			inst := instance(t, srv.URL+tt.base, `{}`, nil)
			dr := query(t, inst, nil, dataQuery("A", `{"target":"cpu_usage","payload":{"region":"eu-west"}}`)).Responses["A"]
			if dr.Error != nil {
				t.Fatal(dr.Error)
			}
			if shown := dr.Frames[0].Meta.ExecutedQueryString; shown != received {
				t.Errorf("the inspector shows\n%s\nbut the service received\n%s", shown, received)
			}
		})
	}
}

// The cache is off unless a TTL is set; with it on, repeated queries
// cost one call and still get their own legends, and requests that ask
// for fresh data (alert rules send X-Cache-Skip) always call the service.
func TestCache(t *testing.T) {
	tests := []struct {
		name      string
		jsonData  string
		headers   map[string]string
		wantCalls int64
	}{
		{name: "off by default", jsonData: `{}`, wantCalls: 3},
		{name: "on", jsonData: `{"cacheTTLSeconds": 60}`, wantCalls: 1},
		{name: "on, saved as a string", jsonData: `{"cacheTTLSeconds": "60"}`, wantCalls: 1},
		{name: "on, alert queries skip it", jsonData: `{"cacheTTLSeconds": 60}`, headers: map[string]string{cacheSkipHeader: "true", backend.FromAlertHeaderName: "true"}, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := refserver.New(refserver.Options{})
			inst := instance(t, serve(t, ref).URL, tt.jsonData, nil)
			for i := range 3 {
				legend := fmt.Sprintf("run %d", i)
				dr := query(t, inst, tt.headers, dataQuery("A", `{"target":"cpu_usage","alias":"`+legend+`"}`)).Responses["A"]
				if dr.Error != nil {
					t.Fatal(dr.Error)
				}
				if got := dr.Frames[0].Fields[1].Config.DisplayNameFromDS; got != legend {
					t.Errorf("a cached answer kept an old legend: %q, want %q", got, legend)
				}
			}
			if got := ref.Count("/query"); got != tt.wantCalls {
				t.Errorf("%d calls to /query, want %d", got, tt.wantCalls)
			}
		})
	}
}

// Identical queries in flight at once share one call to the service; the
// answer is built into frames for each, with its own legend.
func TestIdenticalQueriesShareOneCall(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
		_, _ = io.WriteString(w, `[{"target":"up","tags":{"host":"a"},"datapoints":[[1,1764000000000]]}]`)
	}))
	inst := instance(t, srv.URL, `{}`, nil)
	const callers = 20
	var wg sync.WaitGroup
	legends := make([]string, callers)
	for i := range callers {
		wg.Go(func() {
			alias := strings.Repeat("x", i) + "{{host}}"
			dr := query(t, inst, nil, dataQuery("A", `{"target":"up","alias":"`+alias+`"}`)).Responses["A"]
			if dr.Error != nil {
				t.Error(dr.Error)
				return
			}
			legends[i] = dr.Frames[0].Fields[1].Config.DisplayNameFromDS
		})
	}
	// The one call is held while the other callers arrive, as a slow
	// service would hold it.
	for calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls to the service for %d identical queries, want 1", n, callers)
	}
	for i, l := range legends {
		if want := strings.Repeat("x", i) + "a"; l != want {
			t.Errorf("caller %d got legend %q, want %q", i, l, want)
		}
	}
}

// A caller whose request is canceled stops waiting; the shared call goes
// on for the others.
func TestCanceledQueryStopsWaiting(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, `[]`)
	}))
	defer close(release)
	inst := instance(t, srv.URL, `{}`, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := inst.(backend.QueryDataHandler).QueryData(ctx, &backend.QueryDataRequest{Queries: []backend.DataQuery{dataQuery("A", `{"target":"up"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Responses["A"]; r.Error == nil || r.Status != backend.StatusTimeout {
		t.Errorf("got %v (status %v), want a canceled query", r.Error, r.Status)
	}
}

// With the cache on, what it keeps alive stays within its budget however
// many distinct queries arrive (dashboards on relative ranges make a new
// one on every refresh): keys, empty answers and the request bodies
// count, and expired entries are dropped.
func TestCacheHeapStaysWithinBudget(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `[]`)
	}))
	inst := instance(t, srv.URL, `{"cacheTTLSeconds": 60, "cacheMaxMB": 1}`, nil)
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	pad := strings.Repeat("x", 30<<10)
	// Warm up the client and the instance before the baseline.
	query(t, inst, nil, dataQuery("A", `{"target":"warm"}`))
	before := heap()
	for i := range 2000 {
		dr := query(t, inst, nil, dataQuery("A", fmt.Sprintf(`{"target":"m%d","payload":{"pad":%q}}`, i, pad))).Responses["A"]
		if dr.Error != nil {
			t.Fatal(dr.Error)
		}
	}
	grown := heap() - before
	runtime.KeepAlive(inst) // the cache lives as long as its instance
	t.Logf("live heap grew by %.1f MB for 2,000 distinct 30 KB queries with a 1 MB cache", float64(grown)/(1<<20))
	if grown > 3<<20 {
		t.Errorf("live heap grew by %d bytes, more than the 1 MB budget plus 2 MB", grown)
	}
}

// An answer wider than "Maximum series" fails as too large (502, the
// service's side), naming the setting and what to do.
func TestTooManySeries(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[`)
		for i := range 5 {
			if i > 0 {
				_, _ = io.WriteString(w, `,`)
			}
			fmt.Fprintf(w, `{"target":"s%d","datapoints":[[1,1764000000000]]}`, i)
		}
		_, _ = io.WriteString(w, `]`)
	}))
	tests := []struct {
		name, jsonData string
		wantErr        string
	}{
		{"within the limit", `{"maxSeries": 5}`, ""},
		{"over the limit", `{"maxSeries": 4}`, `POST /query: the answer has more than 4 series, the limit set by "Maximum series" in the data source's settings; narrow the query (fewer series) or raise the setting`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := query(t, instance(t, srv.URL, tt.jsonData, nil), nil, dataQuery("A", `{"target":"up"}`)).Responses["A"]
			if tt.wantErr == "" {
				if dr.Error != nil || len(dr.Frames) != 5 {
					t.Fatalf("error %v, %d frames; want 5 frames", dr.Error, len(dr.Frames))
				}
				return
			}
			if dr.Error == nil || !strings.Contains(dr.Error.Error(), tt.wantErr) {
				t.Fatalf("error %v\nwant %q", dr.Error, tt.wantErr)
			}
			if dr.Status != backend.StatusBadGateway || dr.ErrorSource != backend.ErrorSourceDownstream || len(dr.Frames) != 0 {
				t.Errorf("status %v, source %q, %d frames; want 502 from downstream and no frames", dr.Status, dr.ErrorSource, len(dr.Frames))
			}
		})
	}
}

// With "Downsample" on, a panel gets at most maxDataPoints points per
// series and a notice saying so; an alert rule gets every point.
func TestDownsample(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"target":"up","datapoints":[`)
		for i := range 100 {
			if i > 0 {
				_, _ = io.WriteString(w, `,`)
			}
			fmt.Fprintf(w, `[%d,%d]`, i%7, 1764000000000+int64(i)*1000)
		}
		_, _ = io.WriteString(w, `]}]`)
	}))
	tests := []struct {
		name, jsonData string
		headers        map[string]string
		wantPoints     int
		wantNotice     string
	}{
		{"off by default", `{}`, nil, 100, ""},
		{"on", `{"downsample": true}`, nil, 12, "downsampled from 100 to 12 points"},
		{"never for alert rules", `{"downsample": true}`, alerting, 100, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := query(t, instance(t, srv.URL, tt.jsonData, nil), tt.headers, dataQuery("A", `{"target":"up"}`)).Responses["A"]
			if dr.Error != nil || len(dr.Frames) != 1 {
				t.Fatalf("error %v, %d frames", dr.Error, len(dr.Frames))
			}
			fr := dr.Frames[0]
			if n := fr.Fields[0].Len(); n != tt.wantPoints {
				t.Errorf("%d points, want %d", n, tt.wantPoints)
			}
			var notices []string
			for _, n := range fr.Meta.Notices {
				if strings.HasPrefix(n.Text, "downsampled") {
					notices = append(notices, n.Text)
				}
			}
			if tt.wantNotice == "" && len(notices) > 0 || tt.wantNotice != "" && (len(notices) != 1 || !strings.HasPrefix(notices[0], tt.wantNotice)) {
				t.Errorf("notices %q, want %q", notices, tt.wantNotice)
			}
		})
	}
}
