package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// BenchmarkRoundTrip: a small query through the plugin protocol against
// the reference server, at several concurrent callers. Reports p50/p99
// latency and queries per second.
func BenchmarkRoundTrip(b *testing.B) {
	// The server's own time per query, keyed by the range's start, which
	// differs per call when the cache is off.
	var upstream sync.Map
	srv := httptest.NewServer(refserver.New(refserver.Options{OnQuery: func(req contract.QueryRequest, took time.Duration) {
		upstream.Store(req.Range.From.UnixMilli(), took)
	}}))
	defer srv.Close()
	for _, run := range []struct {
		callers int
		cached  bool
	}{{1, false}, {16, false}, {128, false}, {1, true}, {16, true}, {128, true}} {
		callers := run.callers
		b.Run(fmt.Sprintf("callers=%d/cache=%v", callers, run.cached), func(b *testing.B) {
			ds := dataSource(srv.URL)
			if run.cached {
				ds.JSONData["cacheTTLSeconds"] = 300
			}
			var (
				mu        sync.Mutex
				lats      []time.Duration
				overheads []time.Duration
				wg        sync.WaitGroup
			)
			work := make(chan int)
			start := time.Now()
			for c := 0; c < callers; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range work {
						// Without the cache, distinct ranges, so coalescing does
						// not flatter the numbers; with it, one repeated query.
						offset := time.Duration(i) * time.Second
						if run.cached {
							offset = 0
						}
						q := backend.DataQuery{RefID: "A", JSON: []byte(`{"target":"cpu_usage","payload":{"service":"search","region":"eu-west"}}`),
							TimeRange: backend.TimeRange{From: now.Add(-time.Hour - offset), To: now}, MaxDataPoints: 60, Interval: time.Minute}
						t0 := time.Now()
						res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
						d := time.Since(t0)
						if err != nil || res.Responses["A"].Error != nil {
							b.Error(err, res.Responses["A"].Error)
							return
						}
						mu.Lock()
						lats = append(lats, d)
						if took, ok := upstream.Load(q.TimeRange.From.UnixMilli()); ok && !run.cached {
							overheads = append(overheads, d-took.(time.Duration))
						}
						mu.Unlock()
					}
				}()
			}
			for i := 0; i < b.N; i++ {
				work <- i
			}
			close(work)
			wg.Wait()
			elapsed := time.Since(start)
			sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
			if len(lats) > 0 {
				b.ReportMetric(float64(lats[len(lats)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds()), "p99-µs")
				b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "queries/s")
			}
			if len(overheads) > 0 {
				// Total minus the server's handler time: the plugin, the
				// protocol, the harness and loopback HTTP.
				sort.Slice(overheads, func(i, j int) bool { return overheads[i] < overheads[j] })
				b.ReportMetric(float64(overheads[len(overheads)/2].Microseconds()), "overhead-p50-µs")
				b.ReportMetric(float64(overheads[len(overheads)*99/100].Microseconds()), "overhead-p99-µs")
			}
		})
	}
}

// BenchmarkMillionPoints: one query answering 1M points (6 series),
// end to end: reference server, HTTP, decode, Arrow, plugin protocol.
func BenchmarkMillionPoints(b *testing.B) {
	srv := httptest.NewServer(refserver.New(refserver.Options{}))
	defer srv.Close()
	ds := dataSource(srv.URL)
	const perSeries = 166_667
	q := backend.DataQuery{RefID: "A", JSON: []byte(`{"target":"cpu_usage"}`),
		TimeRange: backend.TimeRange{From: now.Add(-perSeries * time.Second), To: now}, MaxDataPoints: perSeries, Interval: time.Second}
	for b.Loop() {
		res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
		if err != nil || res.Responses["A"].Error != nil {
			b.Fatal(err, res.Responses["A"].Error)
		}
		points := 0
		for _, f := range res.Responses["A"].Frames {
			points += f.Fields[0].Len()
		}
		if points < 999_000 {
			b.Fatalf("got %d points", points)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
}
