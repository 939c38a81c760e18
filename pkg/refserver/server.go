// Package refserver is the reference in-house metrics server: a real HTTP
// server that implements the whole contract over a built-in, deterministic
// data set, so the plugin runs out of the box and the tests have a real
// peer on loopback.
package refserver

import (
	"bufio"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Options configure the server.
type Options struct {
	// Token, when set, must arrive as "Authorization: Bearer <Token>".
	Token string
	// Delay is added before every /query answer (for latency tests).
	Delay time.Duration
	// OnQuery, when set, is told how long each /query took to answer,
	// so benchmarks can tell the service's time from the plugin's.
	OnQuery func(req contract.QueryRequest, took time.Duration)
	// Now is the server's clock (default time.Now). The data set exists
	// only up to it, so a poll for the window since the last point gets
	// the points that have come into being since, as from a real service.
	Now func() time.Time
}

// Server is the reference server's HTTP handler.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu     sync.Mutex
	counts map[string]int64
	total  atomic.Int64
}

// New returns the reference server's handler.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), counts: map[string]int64{}}
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "In-house metrics reference server: ok\n")
	})
	s.mux.HandleFunc("POST "+contract.PathMetrics, s.metrics)
	s.mux.HandleFunc("POST "+contract.PathSearch, s.search)
	s.mux.HandleFunc("POST "+contract.PathMetricPayloadOptions, s.payloadOptions)
	s.mux.HandleFunc("POST "+contract.PathOptions, s.payloadOptions)
	s.mux.HandleFunc("POST "+contract.PathQuery, s.query)
	s.mux.HandleFunc("POST "+contract.PathVariable, s.variable)
	s.mux.HandleFunc("POST "+contract.PathTagKeys, s.tagKeys)
	s.mux.HandleFunc("POST "+contract.PathTagValues, s.tagValuesHandler)
	s.mux.HandleFunc("POST "+contract.PathAnnotations, s.annotations)
	return s
}

// ServeHTTP checks the token, counts the request and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts[r.URL.Path]++
	s.mu.Unlock()
	s.total.Add(1)
	if r.URL.Path == "" {
		// Mounted under a prefix, the base URL itself arrives empty.
		r.URL.Path = "/"
	}
	if s.opts.Token != "" {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="inhouse-metrics"`)
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// Count returns how many requests reached path.
func (s *Server) Count(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

// Total returns how many requests the server received.
func (s *Server) Total() int64 { return s.total.Load() }

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return false
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		http.Error(w, "body is not valid JSON: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	var req contract.MetricsRequest
	if !readJSON(w, r, &req) {
		return
	}
	out := make([]contract.Metric, 0, len(catalog))
	for _, m := range catalog {
		out = append(out, contract.Metric{Label: m.label, Value: m.name, Payloads: m.payloads()})
	}
	writeJSON(w, out)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var req contract.SearchRequest
	if !readJSON(w, r, &req) {
		return
	}
	out := []string{}
	for _, m := range catalog {
		if strings.Contains(m.name, req.Target) {
			out = append(out, m.name)
		}
	}
	writeJSON(w, out)
}

func (s *Server) payloadOptions(w http.ResponseWriter, r *http.Request) {
	var req contract.MetricPayloadOptionsRequest
	if !readJSON(w, r, &req) {
		return
	}
	writeJSON(w, options(tagValues(req.Name)))
}

func options(values []string) []contract.SelectOption {
	out := make([]contract.SelectOption, 0, len(values))
	for _, v := range values {
		out = append(out, contract.SelectOption{Label: v, Value: v})
	}
	return out
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req contract.QueryRequest
	if !readJSON(w, r, &req) {
		return
	}
	if s.opts.OnQuery != nil {
		defer func() { s.opts.OnQuery(req, time.Since(start)) }()
	}
	if req.IntervalMs <= 0 || req.MaxDataPoints <= 0 {
		http.Error(w, "intervalMs and maxDataPoints must be positive", http.StatusBadRequest)
		return
	}
	if s.opts.Delay > 0 {
		time.Sleep(s.opts.Delay)
	}
	from, to := req.Range.From.UnixMilli(), req.Range.To.UnixMilli()
	// The step comes from the range asked for, so the points that exist
	// are the same whether or not the range reaches past now.
	until := min(to, s.opts.Now().UnixMilli())
	filters := req.Filters
	if len(filters) == 0 {
		filters = req.AdhocFilters
	}
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	bw.WriteByte('[')
	first := true
	for _, t := range req.Targets {
		if t.Target == AnnotationTarget {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			b, _ := json.Marshal(eventsFrame(from, until, t.Payload, filters))
			bw.Write(b)
			continue
		}
		m := lookup(t.Target)
		if m == nil {
			continue // real servers drop unknown targets silently
		}
		if m.table {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			tb := deploymentsTable(from, until, t.Payload, filters)
			b, _ := json.Marshal(tb)
			bw.Write(b)
			continue
		}
		for _, sr := range m.series(t.Payload, filters) {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			writeSeries(bw, m, sr, from, to, until, req.IntervalMs, req.MaxDataPoints)
		}
	}
	bw.WriteByte(']')
}

// writeSeries streams one series without building it in memory, so the
// server can answer a million points quickly. The step is the range's;
// points after until are left out.
func writeSeries(bw *bufio.Writer, m *metric, sr seriesKey, from, to, until, intervalMs, maxPoints int64) {
	name, _ := json.Marshal(m.name)
	tags, _ := json.Marshal(sr.tags())
	bw.WriteString(`{"target":`)
	bw.Write(name)
	bw.WriteString(`,"tags":`)
	bw.Write(tags)
	bw.WriteString(`,"datapoints":[`)
	step := intervalMs
	if span := to - from; span/step > maxPoints {
		step = (span + maxPoints - 1) / maxPoints
	}
	start := from - from%step
	if start < from {
		start += step
	}
	var buf []byte
	value := m.value(sr)
	n := 0
	for ts := start; ts <= until && int64(n) < maxPoints; ts += step {
		if n > 0 {
			bw.WriteByte(',')
		}
		buf = append(buf[:0], '[')
		buf = strconv.AppendFloat(buf, value(ts), 'f', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, ts, 10)
		buf = append(buf, ']')
		bw.Write(buf)
		n++
	}
	bw.WriteString(`]}`)
}
