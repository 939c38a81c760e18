package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// BenchmarkLiveBounds measures the plugin process (a fresh one per run)
// under the hostile answers of the live bounds (docs/reliability.md):
//
//   - 1,000 series × 60 points, each series scraped at its own offset,
//     queried once without live and once with live: the peak RSS
//     (VmHWM) and the frame's cells;
//   - an upstream whose pod label changes every poll (20 new series per
//     poll, 0.1 s polls, a 10 s panel) streamed for 60 s: the largest
//     packet's fields and bytes, the last packet's fields, RSS at the end
//     and the peak.
//
// Measure main's code with INHOUSE_PLUGIN_BINARY (see main_test.go):
//
//	go test -run '^$' -bench LiveBounds -benchtime 1x -count 3 ./e2e
func BenchmarkLiveBounds(b *testing.B) {
	for _, c := range []struct {
		name  string
		model string
	}{
		{"unaligned 1000x60 without live", `{"target":"up"}`},
		{"unaligned 1000x60 live", `{"target":"up","live":true}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := serve(b, unaligned(1000))
			h := startHost(b, nil)
			ds := dataSource(srv.URL)
			idle := procStatusMB(b, h.Pid(), "VmRSS")
			var cellCount, failed int
			for b.Loop() {
				end := time.Now()
				q := backend.DataQuery{RefID: "A", JSON: json.RawMessage(c.model), TimeRange: backend.TimeRange{From: end.Add(-time.Minute), To: end},
					MaxDataPoints: 100_000, Interval: time.Second}
				res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
				cellCount, failed = 0, 0
				if err == nil {
					err = res.Responses["A"].Error
				}
				if err != nil {
					// Main's live frame: a block the host refuses; the
					// peak is still the figure.
					failed = 1
					b.Logf("the query failed: %.200s", err.Error())
					continue
				}
				for _, f := range res.Responses["A"].Frames {
					cellCount += f.Rows() * max(1, len(f.Fields)-1)
				}
			}
			peak := procStatusMB(b, h.Pid(), "VmHWM")
			b.ReportMetric(idle, "idle-RSS-MB")
			b.ReportMetric(peak, "peak-RSS-MB")
			b.ReportMetric(float64(cellCount), "cells")
			b.ReportMetric(float64(failed), "failed")
		})
	}
	b.Run("series churn 60s", func(b *testing.B) {
		var calls atomic.Int64
		srv := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, to, _ := queryWindow(r)
			n := calls.Add(1)
			var buf bytes.Buffer
			buf.WriteByte('[')
			for k := range 20 {
				if k > 0 {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, `{"target":"up","tags":{"pod":"p%d-%d"},"datapoints":[[1,%d]]}`, n, k, to.Add(-time.Millisecond).UnixMilli())
			}
			buf.WriteByte(']')
			_, _ = w.Write(buf.Bytes())
		}))
		h := startHost(b, nil)
		ds := dataSource(srv.URL)
		ds.JSONData["liveMinIntervalSeconds"] = 0.1
		var mostFields, mostBytes, lastFields, packets int
		for b.Loop() {
			live := queryOver(b, h, ds, `{"target":"up","live":true}`, 10*time.Second, 100*time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			var fr frameReader
			ch := channelOf(b, ds, live)
			_ = h.RunStream(ctx, ds, ch.path, ch.data, func(raw json.RawMessage) error {
				f, _, err := fr.read(raw)
				if err != nil {
					return err
				}
				packets++
				lastFields = len(f.Fields)
				mostFields, mostBytes = max(mostFields, len(f.Fields)), max(mostBytes, len(raw))
				return nil
			})
			cancel()
		}
		b.ReportMetric(float64(calls.Load()), "polls")
		b.ReportMetric(float64(packets), "packets")
		b.ReportMetric(float64(mostFields), "max-fields")
		b.ReportMetric(float64(lastFields), "last-fields")
		b.ReportMetric(float64(mostBytes)/(1<<20), "max-packet-MB")
		b.ReportMetric(procStatusMB(b, h.Pid(), "VmRSS"), "end-RSS-MB")
		b.ReportMetric(procStatusMB(b, h.Pid(), "VmHWM"), "peak-RSS-MB")
	})
}
