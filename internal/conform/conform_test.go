package conform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// now pins the clock of the checks and of the reference server.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func reference(token string) http.Handler {
	return refserver.New(refserver.Options{Token: token, Now: func() time.Time { return now }})
}

func run(t *testing.T, h http.Handler, hdr http.Header) *Report {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Run(context.Background(), Target{URL: srv.URL, Header: hdr, Now: func() time.Time { return now }, Timeout: 10 * time.Second})
}

func TestReferenceServerConforms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token string
		hdr   http.Header
	}{
		{"no credential", "", nil},
		{"bearer token", "s3cret-token", http.Header{"Authorization": {"Bearer s3cret-token"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := run(t, reference(tc.token), tc.hdr)
			for _, r := range rep.Results {
				ok := r.Status == Pass || r.Group == "grafana" && r.Status == Skip
				// The reference server serves every endpoint, so nothing
				// is absent; auth is skipped only without a credential.
				if r.Group == "auth" && tc.hdr == nil && r.Status == Skip {
					ok = true
				}
				if !ok {
					t.Errorf("%s / %s: %s: %s %s", r.Group, r.Check, r.Status, r.Detail, r.Advice)
				}
			}
			if !rep.OK() || rep.Warned != 0 {
				t.Errorf("report: %d failures, %d warnings", rep.Failed, rep.Warned)
			}
			if tc.hdr != nil && !hasResult(rep, "missing credential", Pass) {
				t.Errorf("the auth checks did not run with a credential")
			}
		})
	}
}

func hasResult(rep *Report, check string, st Status) bool {
	return slices.ContainsFunc(rep.Results, func(r Result) bool { return strings.HasPrefix(r.Check, check) && r.Status == st })
}

// broken wraps the reference server, changing the answer to one path.
type broken struct {
	ref  http.Handler
	path string
	// handle answers the path instead (nil: rewrite is used).
	handle func(w http.ResponseWriter, r *http.Request, body []byte)
	// rewrite changes the reference server's JSON answer.
	rewrite func(r *http.Request, v any) any
}

func (b broken) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.path != "*" && r.URL.Path != b.path {
		b.ref.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if b.handle != nil {
		b.handle(w, r, body)
		return
	}
	rec := httptest.NewRecorder()
	b.ref.ServeHTTP(rec, r)
	var v any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &v) != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(b.rewrite(r, v))
}

// eachPoint rewrites every point of every series of a /query answer.
func eachSeries(fn func(points []any) []any) func(*http.Request, any) any {
	return func(_ *http.Request, v any) any {
		for _, item := range v.([]any) {
			if m, ok := item.(map[string]any); ok {
				if dp, ok := m["datapoints"].([]any); ok {
					m["datapoints"] = fn(dp)
				}
			}
		}
		return v
	}
}

func eachPoint(fn func(p []any)) func(*http.Request, any) any {
	return eachSeries(func(points []any) []any {
		for _, p := range points {
			fn(p.([]any))
		}
		return points
	})
}

func status(code int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func TestBrokenServersAreCaught(t *testing.T) {
	ref := reference("")
	for _, tc := range []struct {
		name   string
		server broken
		hdr    http.Header
		// check is the start of the check's name; want its status; advice
		// a part of its advice.
		check, advice string
		want          Status
	}{
		{name: "health answers 500", server: broken{path: "/", handle: status(500, "down")},
			check: "health", want: Fail, advice: "any 2xx (contract: GET / (health))"},
		{name: "metrics is not an array", server: broken{path: "/metrics", handle: status(200, `{"metrics": []}`)},
			check: "metrics answer", want: Warn, advice: "catch-all 200"},
		{name: "metrics and search both fail", server: broken{path: "*", handle: func(w http.ResponseWriter, r *http.Request, b []byte) {
			if r.URL.Path == "/metrics" || r.URL.Path == "/search" {
				w.WriteHeader(500)
				return
			}
			ref.ServeHTTP(w, r)
		}}, check: "metrics", want: Fail, advice: "(contract: POST /metrics)"},
		{name: "metrics hangs up", server: broken{path: "/metrics", handle: func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}}, check: "metrics answer", want: Warn, advice: "answer 404 on /metrics"},
		{name: "catch-all ok", server: broken{path: "*", handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
			if r.URL.Path == unroutedPath {
				_, _ = io.WriteString(w, "ok")
				return
			}
			ref.ServeHTTP(w, r)
		}}, check: "unrouted path", want: Warn, advice: "a 200 hides which endpoints exist"},
		{name: "empty names", server: broken{path: "/search", rewrite: func(_ *http.Request, v any) any { return append(v.([]any), "") }},
			check: "empty names (/search)", want: Warn, advice: "leave entries without a name out"},
		{name: "range without fraction refused", server: broken{path: "/query", handle: func(w http.ResponseWriter, r *http.Request, b []byte) {
			if !bytes.Contains(b, []byte(".000Z")) {
				http.Error(w, "time data does not match format", 500)
				return
			}
			ref.ServeHTTP(w, r)
		}}, check: "range without fraction", want: Warn, advice: "with or without fractional seconds"},
		{name: "points out of order", server: broken{path: "/query", rewrite: eachSeries(func(p []any) []any { slices.Reverse(p); return p })},
			check: "order and duplicates", want: Warn, advice: "ascending time"},
		{name: "duplicate timestamps", server: broken{path: "/query", rewrite: eachSeries(func(p []any) []any {
			if len(p) == 0 {
				return p
			}
			return append([]any{p[0]}, p...)
		})}, check: "order and duplicates", want: Warn, advice: "one point per timestamp"},
		{name: "values are booleans", server: broken{path: "/query", rewrite: eachPoint(func(p []any) { p[0] = true })},
			check: "values are numbers", want: Fail, advice: "JSON numbers"},
		{name: "values are NaN strings", server: broken{path: "/query", rewrite: eachPoint(func(p []any) { p[0] = "NaN" })},
			check: "values are numbers", want: Warn, advice: "send null"},
		{name: "timestamps in seconds", server: broken{path: "/query", rewrite: eachPoint(func(p []any) { p[1] = p[1].(float64) / 1000 })},
			check: "timestamps", want: Fail, advice: "not seconds"},
		{name: "fractional timestamps", server: broken{path: "/query", rewrite: eachPoint(func(p []any) { p[1] = p[1].(float64) + 0.5 })},
			check: "timestamps", want: Warn, advice: "integer epoch milliseconds"},
		{name: "points outside the range", server: broken{path: "/query", rewrite: eachPoint(func(p []any) { p[1] = p[1].(float64) - 48*3600e3 })},
			check: "timestamps", want: Fail, advice: "inside range.from and range.to"},
		{name: "maxDataPoints ignored", server: broken{path: "/query", handle: minutePoints},
			check: "maxDataPoints respected", want: Warn, advice: "at most maxDataPoints"},
		{name: "intervalMs ignored", server: broken{path: "/query", handle: minutePoints},
			check: "intervalMs respected", want: Warn, advice: "at least intervalMs apart"},
		{name: "far more points than asked", server: broken{path: "/query", handle: minutePoints},
			check: "growth with range", want: Warn, advice: "downsample to maxDataPoints"},
		{name: "table cell of the wrong type", server: broken{path: "/query", rewrite: func(_ *http.Request, v any) any {
			for _, item := range v.([]any) {
				if m, ok := item.(map[string]any); ok && m["rows"] != nil {
					for _, row := range m["rows"].([]any) {
						row.([]any)[0] = "yesterday"
					}
				}
			}
			return v
		}}, check: "column types", want: Fail, advice: "the type of its values"},
		{name: "query answers 500", server: broken{path: "/query", handle: status(500, "boom")},
			check: "query", want: Fail, advice: "(contract: POST /query)"},
		{name: "query item of no shape", server: broken{path: "/query", rewrite: func(*http.Request, any) any { return []any{map[string]any{"name": "x"}} }},
			check: "query", want: Fail, advice: `"datapoints", "columns" or "fields"`},
		{name: "malformed body gets 500", server: broken{path: "/query", handle: func(w http.ResponseWriter, r *http.Request, b []byte) {
			if !json.Valid(b) {
				http.Error(w, "internal error", 500)
				return
			}
			ref.ServeHTTP(w, r)
		}}, check: "malformed body", want: Fail, advice: "with 400, not 5xx"},
		{name: "malformed body gets 200", server: broken{path: "/query", handle: func(w http.ResponseWriter, r *http.Request, b []byte) {
			if !json.Valid(b) {
				_, _ = io.WriteString(w, "[]")
				return
			}
			ref.ServeHTTP(w, r)
		}}, check: "malformed body", want: Fail, advice: "not 2xx"},
		{name: "credential not checked", server: broken{path: "/none"}, hdr: http.Header{"Authorization": {"Bearer anything"}},
			check: "missing credential", want: Fail, advice: "reject calls without the credential with 401"},
		{name: "wrong credential accepted", server: broken{path: "/none"}, hdr: http.Header{"X-Api-Key": {"k"}},
			check: "wrong credential", want: Fail, advice: "with a wrong credential with 401"},
		{name: "payload options fail", server: broken{path: "/metric-payload-options", handle: status(500, "boom")},
			check: "payload options", want: Fail, advice: "(contract: POST /metric-payload-options)"},
		{name: "tag values missing", server: broken{path: "/tag-values", handle: status(404, "")},
			check: "tag keys and values (values)", want: Fail, advice: "serve /tag-values beside /tag-keys"},
		{name: "annotation without time", server: broken{path: "/annotations", rewrite: func(_ *http.Request, v any) any {
			return []any{map[string]any{"title": "deploy"}}
		}}, check: "annotations", want: Fail, advice: "give every event a time"},
		{name: "variable answers a catch-all ok, search-only server", server: broken{path: "*", handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
			switch r.URL.Path {
			case "/variable":
				_, _ = io.WriteString(w, "ok")
			case "/metrics":
				w.WriteHeader(404)
			default:
				ref.ServeHTTP(w, r)
			}
		}}, check: "variable", want: Warn, advice: "or 404 when the service has only /search"},
		{name: "variable answers something not JSON, no search", server: broken{path: "*", handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
			switch r.URL.Path {
			case "/variable":
				_, _ = io.WriteString(w, "ok")
			case "/search":
				w.WriteHeader(404)
			default:
				ref.ServeHTTP(w, r)
			}
		}},
			check: "variable", want: Fail, advice: `answer [{"__text", "__value"}]`},
		{name: "variable answers an empty 200", server: broken{path: "/variable", handle: status(200, "")},
			check: "variable", want: Warn, advice: "answer [] when a variable has no options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.server.ref = ref
			rep := run(t, tc.server, tc.hdr)
			var got []Result
			for _, r := range rep.Results {
				if strings.HasPrefix(r.Check, tc.check) && r.Group != "grafana" {
					got = append(got, r)
				}
			}
			for _, r := range got {
				if r.Status == tc.want && strings.Contains(r.Advice, tc.advice) {
					if tc.want == Fail && rep.OK() {
						t.Errorf("a failure, yet the report is OK")
					}
					return
				}
			}
			t.Errorf("want %s %s with advice containing %q; got %+v", tc.check, tc.want, tc.advice, got)
		})
	}
}

// minutePoints answers every time series target with one point a
// minute over the range, whatever maxDataPoints and intervalMs say.
func minutePoints(w http.ResponseWriter, _ *http.Request, body []byte) {
	var req struct {
		Range struct {
			From, To time.Time
		}
		Targets []struct{ Target string }
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	var out []any
	for _, t := range req.Targets {
		var pts [][2]any
		for ts := req.Range.From.UnixMilli(); ts <= req.Range.To.UnixMilli(); ts += 60_000 {
			pts = append(pts, [2]any{1.5, ts})
		}
		out = append(out, map[string]any{"target": t.Target, "datapoints": pts})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func TestReportOutput(t *testing.T) {
	rep := run(t, broken{ref: reference(""), path: "/", handle: status(500, "down")}, nil)
	var table, js bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"health", "fail", "-> answer GET on the configured URL with any 2xx (contract: GET / (health))", "does not conform"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Failed != rep.Failed || len(back.Results) != len(rep.Results) {
		t.Errorf("JSON does not read back: %v %+v", err, back)
	}
}

func TestCountNamesOneInTheSingular(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "0 items"},
		{1, "1 item"},
		{2, "2 items"},
	} {
		if got := count(tc.n, "item", "items"); got != tc.want {
			t.Errorf("count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
