package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// A 200,000-series answer is refused at the 10,001st series, before any
// frame is built: the plugin's peak RSS stays near idle (about 35 MB,
// against 1.4 GB when the limit is raised and the answer accepted; see
// BenchmarkBigAnswers). The operator's max_series lowers the limit and
// the error then names it.
func TestTooManySeriesIsRefusedEarly(t *testing.T) {
	body := wideAnswer(200_000)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body)
	}))
	tests := []struct {
		name    string
		env     []string
		wantErr string
	}{
		{"the data source's default", nil, `the answer has more than 10,000 series, the limit set by "Maximum series" in the data source's settings; narrow the query (fewer series) or raise the setting`},
		{"the operator's ceiling", []string{"GF_PLUGIN_MAX_SERIES=500"}, `the answer has more than 500 series, the limit set by max_series in [plugin.inhouse-metrics-datasource] of grafana.ini`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHost(t, nil, tt.env...)
			ds := dataSource(srv.URL)
			ds.JSONData["maxResponseMB"] = 200
			idle := procStatusMB(t, h.Pid(), "VmRSS")
			res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"requests"}`)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			dr := res.Responses["A"]
			if dr.Error == nil || !strings.Contains(dr.Error.Error(), tt.wantErr) {
				t.Fatalf("error %v\nwant %q", dr.Error, tt.wantErr)
			}
			if dr.Status != backend.StatusBadGateway || len(dr.Frames) != 0 {
				t.Errorf("status %v, %d frames; want 502 and no frames", dr.Status, len(dr.Frames))
			}
			if peak := procStatusMB(t, h.Pid(), "VmHWM"); peak > idle+64 {
				t.Errorf("peak RSS %.0f MB from %.0f MB idle: the refused answer was decoded too far", peak, idle)
			}
		})
	}
}
