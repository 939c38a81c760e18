package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// The operator's max_concurrent_calls bounds the calls the whole plugin
// process has in flight, across requests: 8 requests of 10 different
// queries each (each request within its own "Concurrency" of 10) reach
// the service at most 4 at a time, and every query still gets its answer.
func TestCallsInFlightAreBoundedPerProcess(t *testing.T) {
	var now, peak, total atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := now.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		total.Add(1)
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
		_, _ = io.WriteString(w, `[{"target":"up","datapoints":[[1,1764000000000]]}]`)
	}))
	h := startHost(t, nil, "GF_PLUGIN_MAX_CONCURRENT_CALLS=4")
	ds := dataSource(srv.URL)
	var wg sync.WaitGroup
	for req := range 8 {
		wg.Go(func() {
			var queries []backend.DataQuery
			for q := range 10 {
				queries = append(queries, dq(fmt.Sprintf("Q%d", q), fmt.Sprintf(`{"target":"m-%d-%d"}`, req, q)))
			}
			res, err := h.QueryData(context.Background(), ds, queries, nil)
			if err != nil {
				t.Error(err)
				return
			}
			for ref, r := range res.Responses {
				if r.Error != nil {
					t.Errorf("request %d %s: %v", req, ref, r.Error)
				}
			}
		})
	}
	wg.Wait()
	if total.Load() != 80 {
		t.Errorf("%d calls, want 80", total.Load())
	}
	if p := peak.Load(); p > 4 {
		t.Errorf("%d calls in flight at once, want at most 4", p)
	}
}
