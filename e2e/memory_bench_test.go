package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// bigTable is a table answer of about 63 MB: 20 columns of one-digit
// numbers, the shape that made table decoding hold 7.6 times the body.
func bigTable(rows int) []byte {
	var b bytes.Buffer
	b.WriteString(`[{"type":"table","columns":[`)
	for c := range 20 {
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"text":"c%d","type":"number"}`, c)
	}
	b.WriteString(`],"rows":[`)
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for c := range 20 {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(byte('0' + (r+c)%10))
		}
		b.WriteByte(']')
	}
	b.WriteString(`]}]`)
	return b.Bytes()
}

// wideAnswer is an answer of n series of 3 points each, tagged like a
// query that grouped by a high-cardinality label by mistake.
func wideAnswer(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"target":"requests","tags":{"pod":"web-%d"},"datapoints":[[1,1764000000000],[2,1764000060000],[3,1764000120000]]}`, i)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// seriesAnswer is an answer of n series of points each, one minute apart,
// each tagged with its own pod. value writes a point's value; its width
// sets the answer's bytes per point. With stagger, each series' times are
// a second later than the one before, so no two series share times.
func seriesAnswer(n, points int, stagger bool, value func(b *bytes.Buffer, i int)) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	start := now.Add(-time.Duration(points) * time.Minute).UnixMilli()
	for s := range n {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"target":"requests","tags":{"pod":"web-%d"},"datapoints":[`, s)
		for i := range points {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('[')
			value(&b, s+i)
			t := start + int64(i)*60_000
			if stagger {
				t += int64(s) * 1000
			}
			fmt.Fprintf(&b, ",%d]", t)
		}
		b.WriteString("]}")
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkBigAnswers reports the plugin process's peak RSS (VmHWM) for
// answers that could exhaust Grafana's memory: a 63 MB table, three of
// them in one request, a table under the cell limit, 200,000 series,
// refused by the default "Maximum series" and, for comparison, accepted
// with the limit raised, 20,000 series of 100 points, and 1M points in 4
// series with times of their own and with the same times, these also
// under the operator's memory_limit_mb. Each
// case runs in a fresh plugin process; besides the peak it reports the
// peak above the idle process and the Arrow bytes of the frames.
// INHOUSE_PLUGIN_BINARY measures another build.
//
//	go test -run '^$' -bench BigAnswers -benchtime 1x -count 3 ./e2e
func BenchmarkBigAnswers(b *testing.B) {
	// The many-series answer: 43 MB, values like 12.5.
	manySeries := func() []byte {
		return seriesAnswer(20_000, 100, false, func(b *bytes.Buffer, i int) { fmt.Fprintf(b, "%d.%d", 10+i%90, i%10) })
	}
	// 1M points in 4 series, about 27 MB, values like 50.123456; times
	// differ per series, so they cannot share a time field.
	million := func() []byte {
		return seriesAnswer(4, 250_000, true, func(b *bytes.Buffer, i int) { fmt.Fprintf(b, "%d.%06d", 10+i%90, i*7919%1_000_000) })
	}
	many := map[string]any{"maxSeries": 20_000}
	limit64 := []string{models.MemoryLimitEnv + "=64"}
	cases := []struct {
		name     string
		body     func() []byte
		queries  int
		format   string
		jsonData map[string]any
		env      []string // the plugin's environment, as Grafana passes settings
	}{
		{"table 63MB", func() []byte { return bigTable(1_500_000) }, 1, "table", nil, nil},
		{"3 tables 63MB in one request", func() []byte { return bigTable(1_500_000) }, 3, "table", nil, nil},
		{"table 21MB (10M cells)", func() []byte { return bigTable(499_000) }, 1, "table", nil, nil},
		{"200k series refused (Maximum series 10,000)", func() []byte { return wideAnswer(200_000) }, 1, "time_series", nil, nil},
		{"200k series accepted (Maximum series raised)", func() []byte { return wideAnswer(200_000) }, 1, "time_series", map[string]any{"maxSeries": 1_000_000}, nil},
		{"20k series x 100 points", manySeries, 1, "time_series", many, nil},
		{"20k series x 100 points, memory_limit_mb 64", manySeries, 1, "time_series", many, limit64},
		// The high-cardinality answer, one point per series.
		{"200k series x 1 point refused", func() []byte {
			return seriesAnswer(200_000, 1, false, func(b *bytes.Buffer, i int) { fmt.Fprintf(b, "%d", i%100) })
		}, 1, "time_series", nil, nil},
		{"4 series x 250k points", million, 1, "time_series", nil, nil},
		{"4 series x 250k points, memory_limit_mb 64", million, 1, "time_series", nil, limit64},
		// The same with the same times in every series, as services that
		// sample on a fixed interval send them.
		{"1M points in 4 series with the same times", func() []byte {
			return seriesAnswer(4, 250_000, false, func(b *bytes.Buffer, i int) { fmt.Fprintf(b, "%d.%06d", 10+i%90, i*7919%1_000_000) })
		}, 1, "time_series", nil, nil},
		{"1M points in 4 series with the same times, memory_limit_mb 64", func() []byte {
			return seriesAnswer(4, 250_000, false, func(b *bytes.Buffer, i int) { fmt.Fprintf(b, "%d.%06d", 10+i%90, i*7919%1_000_000) })
		}, 1, "time_series", nil, limit64},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := c.body()
			srv := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(body)
			}))
			h := startHost(b, nil, c.env...)
			ds := dataSource(srv.URL)
			ds.JSONData["maxResponseMB"] = 200
			for k, v := range c.jsonData {
				ds.JSONData[k] = v
			}
			var queries []backend.DataQuery
			for q := range c.queries {
				queries = append(queries, dq(fmt.Sprint("T", q), fmt.Sprintf(`{"target":"t%d","format":%q}`, q, c.format)))
			}
			idle := procStatusMB(b, h.Pid(), "VmRSS")
			var (
				errs       []string
				arrowBytes int
			)
			for b.Loop() {
				res, err := h.QueryData(context.Background(), ds, queries, nil)
				if err != nil {
					b.Fatal(err)
				}
				arrowBytes = 0
				for _, r := range res.Responses {
					if r.Error != nil {
						errs = append(errs, r.Error.Error())
					}
					// What the plugin sent: each frame is one Arrow IPC
					// message, encoded again here the way the SDK does.
					encoded, err := r.Frames.MarshalArrow()
					if err != nil {
						b.Fatal(err)
					}
					for _, e := range encoded {
						arrowBytes += len(e)
					}
				}
			}
			peak := procStatusMB(b, h.Pid(), "VmHWM")
			b.ReportMetric(float64(len(body))/(1<<20), "body-MB")
			b.ReportMetric(idle, "idle-RSS-MB")
			b.ReportMetric(peak, "peak-RSS-MB")
			b.ReportMetric(peak-idle, "above-idle-MB")
			b.ReportMetric(float64(arrowBytes)/(1<<20), "arrow-MB")
			b.ReportMetric(float64(len(errs)), "failed-queries")
			if len(errs) > 0 {
				b.Logf("%d queries failed, e.g.: %.200s", len(errs), errs[0])
			}
		})
	}
}

// procStatusMB reads one "kB" line of /proc/<pid>/status, in MB.
func procStatusMB(tb testing.TB, pid int, field string) float64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb / 1024
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
