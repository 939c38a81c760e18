package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// BenchmarkLiveChannels: N distinct live queries (channels), each with a
// subscriber, streaming at the floor interval from the reference server
// for a fixed wall time, in a fresh plugin process per N. Reports the
// plugin's CPU per channel poll (a packet sent) and per upstream /query
// (from /proc utime+stime, 10 ms ticks, so the figure at N=1 is coarse),
// the upstream polls and the packets per channel per second (1 at a 1 s
// floor),
// and the plugin's RSS and goroutines with N streams running.
//
//	go test -run '^$' -bench LiveChannels -benchtime 1x -count 3 ./e2e
func BenchmarkLiveChannels(b *testing.B) {
	const window = 10 * time.Second
	var polls atomic.Int64
	srv := httptest.NewServer(refserver.New(refserver.Options{OnQuery: func(contract.QueryRequest, time.Duration) { polls.Add(1) }}))
	defer srv.Close()
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("channels=%d", n), func(b *testing.B) {
			prof := freeLoopbackAddr()
			_, port, _ := net.SplitHostPort(prof)
			h := startHost(b, nil, "GF_PLUGIN_PROFILING_ENABLED=true", "GF_PLUGIN_PROFILING_PORT="+port)
			ds := liveDS(srv.URL)
			hub := grafanahost.NewHub(h)
			first := make(chan struct{}, n)
			var packets atomic.Int64
			for i := range n {
				// The alias makes each query a channel of its own with the
				// same upstream work: one series, one point per poll.
				_, ch := liveQuery(b, h, ds, fmt.Sprintf(`{"target":"cpu_usage","payload":{"service":"search","region":"eu-west"},"alias":"c%d"}`, i))
				sub, err := hub.Subscribe(context.Background(), ds, grafanahost.Admin, ch.path, ch.data)
				if err != nil {
					b.Fatal(err)
				}
				defer sub.Close()
				go func() {
					seen := false
					for range sub.Packets {
						packets.Add(1)
						if !seen {
							seen = true
							first <- struct{}{}
						}
					}
				}()
			}
			for range n {
				select {
				case <-first:
				case <-time.After(30 * time.Second):
					b.Fatal("not every channel sent a packet in 30 s")
				}
			}
			var cpu time.Duration
			// Out of phase with the polls, so a window of 10 intervals
			// holds 10 polls of each channel, not 9 and one at its edge.
			time.Sleep(liveInterval / 2)
			var count, sent int64
			b.ResetTimer()
			for range b.N {
				cpu0, polls0, packets0 := processCPU(b, h.Pid()), polls.Load(), packets.Load()
				time.Sleep(window)
				cpu += processCPU(b, h.Pid()) - cpu0
				count += polls.Load() - polls0
				sent += packets.Load() - packets0
			}
			b.StopTimer()
			// A channel's poll sends a packet when it finds a new point,
			// about every poll at a 1 s step; identical polls of several
			// channels in the same millisecond share one upstream call.
			b.ReportMetric(float64(cpu.Microseconds())/float64(sent), "plugin-cpu-µs/channel-poll")
			b.ReportMetric(float64(cpu.Microseconds())/float64(count), "plugin-cpu-µs/upstream-query")
			b.ReportMetric(float64(count)/float64(n)/(window.Seconds()*float64(b.N)), "polls/channel/s")
			b.ReportMetric(float64(sent)/float64(n)/(window.Seconds()*float64(b.N)), "packets/channel/s")
			b.ReportMetric(procStatusMB(b, h.Pid(), "VmRSS"), "RSS-MB")
			b.ReportMetric(float64(goroutinesAt(b, prof)), "goroutines")
			if got := hub.Running(); got != n {
				b.Errorf("%d of %d streams run at the end", got, n)
			}
		})
	}
}

// goroutinesAt reads a plugin's goroutine count from its profiler at addr.
func goroutinesAt(tb testing.TB, addr string) int {
	tb.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	res, err := c.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		tb.Fatalf("the plugin's profiler: %v", err)
	}
	defer res.Body.Close()
	var n int
	if _, err := fmt.Fscanf(res.Body, "goroutine profile: total %d", &n); err != nil {
		tb.Fatalf("reading the goroutine profile: %v", err)
	}
	return n
}
