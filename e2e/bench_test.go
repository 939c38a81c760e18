package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	// A plugin at the default log level, as Grafana starts it.
	h := startHost(b, nil)
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
			pluginCPU0, selfCPU0 := processCPU(b, h.Pid()), selfCPU()
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
						res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
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
			// Where the 2 cores went: the plugin process, and this process
			// (the harness playing Grafana plus the reference server).
			b.ReportMetric(float64((processCPU(b, h.Pid())-pluginCPU0).Microseconds())/float64(b.N), "plugin-cpu-µs/query")
			b.ReportMetric(float64((selfCPU()-selfCPU0).Microseconds())/float64(b.N), "harness+server-cpu-µs/query")
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
	var upstream atomic.Int64
	srv := httptest.NewServer(refserver.New(refserver.Options{OnQuery: func(_ contract.QueryRequest, took time.Duration) {
		upstream.Add(int64(took))
	}}))
	defer srv.Close()
	h := startHost(b, nil)
	ds := dataSource(srv.URL)
	const perSeries = 166_667
	q := backend.DataQuery{RefID: "A", JSON: []byte(`{"target":"cpu_usage"}`),
		TimeRange: backend.TimeRange{From: now.Add(-perSeries * time.Second), To: now}, MaxDataPoints: perSeries, Interval: time.Second}
	cpu0 := processCPU(b, h.Pid())
	for b.Loop() {
		res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
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
	// The reference server's handler (generating and encoding the answer)
	// runs inside the measured time; without it, what the plugin and the
	// protocol cost.
	b.ReportMetric(float64(time.Duration(upstream.Load()).Milliseconds())/float64(b.N), "upstream-ms/query")
	b.ReportMetric(float64((processCPU(b, h.Pid())-cpu0).Milliseconds())/float64(b.N), "plugin-cpu-ms/query")
}

// processCPU is the user+system CPU time /proc reports for pid.
func processCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces; utime and stime are the 14th and 15th fields of the line.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture Go runs on.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDownsample: one series of 1M points through the plugin
// protocol, with maxDataPoints 2,000, unreduced and with "Downsample" on
// (about 2,000 points out). Reports the time per query, the Arrow bytes of
// the response's frames, the points out and the plugin's peak RSS; each
// case runs in a fresh plugin process.
//
//	go test -run '^$' -bench Downsample -benchtime 1x -count 3 ./e2e
func BenchmarkDownsample(b *testing.B) {
	const points = 1_000_000
	var body bytes.Buffer
	body.WriteString(`[{"target":"cpu","tags":{"host":"a"},"datapoints":[`)
	for i := range points {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `[%.3f,%d]`, 50+40*math.Sin(float64(i)/5000)+float64(i%97)/10, now.Add(-points*time.Second).UnixMilli()+int64(i)*1000)
	}
	body.WriteString(`]}]`)
	for _, downsample := range []bool{false, true} {
		b.Run(fmt.Sprintf("downsample=%v", downsample), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(body.Bytes())
			}))
			defer srv.Close()
			h := startHost(b, nil)
			ds := dataSource(srv.URL)
			ds.JSONData["maxResponseMB"] = 200
			ds.JSONData["downsample"] = downsample
			q := backend.DataQuery{RefID: "A", JSON: []byte(`{"target":"cpu"}`),
				TimeRange: backend.TimeRange{From: now.Add(-points * time.Second), To: now}, MaxDataPoints: 2000, Interval: time.Second}
			var arrowBytes, out int
			for b.Loop() {
				res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
				if err != nil || res.Responses["A"].Error != nil {
					b.Fatal(err, res.Responses["A"].Error)
				}
				frames := res.Responses["A"].Frames
				encoded, err := frames.MarshalArrow()
				if err != nil {
					b.Fatal(err)
				}
				arrowBytes, out = 0, 0
				for i, e := range encoded {
					arrowBytes += len(e)
					out += frames[i].Fields[0].Len()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
			b.ReportMetric(float64(len(body.Bytes()))/(1<<20), "body-MB")
			b.ReportMetric(float64(out), "points-out")
			b.ReportMetric(float64(arrowBytes)/(1<<10), "arrow-KB")
			b.ReportMetric(procStatusMB(b, h.Pid(), "VmHWM"), "peak-RSS-MB")
		})
	}
}
