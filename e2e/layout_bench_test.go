package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// BenchmarkLayout: 4 series on the same timestamps, 1M points in all, as
// a service sampling on a fixed interval answers, end to end through the
// plugin protocol in each layout. Besides the time, it reports what
// Grafana pays after the plugin: the Arrow bytes the plugin sends, and
// the JSON Grafana encodes for the browser (/api/ds/query's body) with
// the time this harness takes to encode it.
func BenchmarkLayout(b *testing.B) {
	const series, perSeries = 4, 250_000
	start := now.Add(-perSeries * time.Second).UnixMilli()
	var body bytes.Buffer
	body.WriteString(`[`)
	for s := range series {
		if s > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"target":"cpu","tags":{"host":"h%d","dc":"eu"},"datapoints":[`, s)
		for i := range perSeries {
			if i > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `[%.3f,%d]`, 50+40*math.Sin(float64(i+s*977)/5000)+float64(i%97)/10, start+int64(i)*1000)
		}
		body.WriteString(`]}`)
	}
	body.WriteString(`]`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body.Bytes())
	}))
	defer srv.Close()

	for _, layout := range []string{"multi", "wide"} {
		b.Run("layout="+layout, func(b *testing.B) {
			// A process per layout, so its peak RSS is its own.
			h := startHost(b, nil)
			ds := dataSource(srv.URL)
			ds.JSONData["maxResponseMB"] = 200
			ds.JSONData["layout"] = layout
			q := backend.DataQuery{RefID: "A", JSON: []byte(`{"target":"cpu"}`),
				TimeRange: backend.TimeRange{From: now.Add(-perSeries * time.Second), To: now}, MaxDataPoints: perSeries, Interval: time.Second}
			var (
				queryTime, jsonTime  time.Duration
				arrowBytes, jsonSize int
			)
			cpu0 := processCPU(b, h.Pid())
			for b.Loop() {
				t0 := time.Now()
				res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
				queryTime += time.Since(t0)
				if err != nil || res.Responses["A"].Error != nil {
					b.Fatal(err, res.Responses["A"].Error)
				}
				frames := res.Responses["A"].Frames
				if want := map[string]data.FrameType{"multi": data.FrameTypeTimeSeriesMulti, "wide": data.FrameTypeTimeSeriesWide}[layout]; frames[0].Meta.Type != want {
					b.Fatalf("got %s frames, want %s", frames[0].Meta.Type, want)
				}
				points := 0
				for _, f := range frames {
					points += f.Rows() * (len(f.Fields) - 1)
				}
				if points != series*perSeries {
					b.Fatalf("got %d points, want %d", points, series*perSeries)
				}
				// The same encoding the plugin used to send them.
				encoded, err := frames.MarshalArrow()
				if err != nil {
					b.Fatal(err)
				}
				arrowBytes = 0
				for _, e := range encoded {
					arrowBytes += len(e)
				}
				t1 := time.Now()
				js, err := json.Marshal(res)
				jsonTime += time.Since(t1)
				if err != nil {
					b.Fatal(err)
				}
				jsonSize = len(js)
			}
			b.ReportMetric(float64(queryTime.Microseconds())/1000/float64(b.N), "ms/query")
			b.ReportMetric(float64((processCPU(b, h.Pid())-cpu0).Milliseconds())/float64(b.N), "plugin-cpu-ms/query")
			b.ReportMetric(float64(arrowBytes)/(1<<20), "arrow-MB/query")
			b.ReportMetric(float64(jsonSize)/(1<<20), "browser-json-MB/query")
			b.ReportMetric(float64(jsonTime.Microseconds())/1000/float64(b.N), "browser-json-ms/query")
			b.ReportMetric(procStatusMB(b, h.Pid(), "VmHWM"), "peak-RSS-MB")
		})
	}
}
