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

	"github.com/grafana/grafana-plugin-sdk-go/backend"
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

// BenchmarkBigAnswers reports the plugin process's peak RSS (VmHWM) for
// answers that could exhaust Grafana's memory: a 63 MB table, three of
// them in one request, a table under the cell limit, and 200,000 series,
// refused by the default "Maximum series" and, for comparison, accepted
// with the limit raised. Each case runs in a fresh plugin process.
// INHOUSE_PLUGIN_BINARY measures another build.
//
//	go test -run '^$' -bench BigAnswers -benchtime 1x ./e2e
func BenchmarkBigAnswers(b *testing.B) {
	cases := []struct {
		name     string
		body     func() []byte
		queries  int
		format   string
		jsonData map[string]any
	}{
		{"table 63MB", func() []byte { return bigTable(1_500_000) }, 1, "table", nil},
		{"3 tables 63MB in one request", func() []byte { return bigTable(1_500_000) }, 3, "table", nil},
		{"table 21MB (10M cells)", func() []byte { return bigTable(499_000) }, 1, "table", nil},
		{"200k series refused (Maximum series 10,000)", func() []byte { return wideAnswer(200_000) }, 1, "time_series", nil},
		{"200k series accepted (Maximum series raised)", func() []byte { return wideAnswer(200_000) }, 1, "time_series", map[string]any{"maxSeries": 1_000_000}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := c.body()
			srv := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(body)
			}))
			h := startHost(b, nil)
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
			var errs []string
			for b.Loop() {
				res, err := h.QueryData(context.Background(), ds, queries, nil)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res.Responses {
					if r.Error != nil {
						errs = append(errs, r.Error.Error())
					}
				}
			}
			b.ReportMetric(float64(len(body))/(1<<20), "body-MB")
			b.ReportMetric(idle, "idle-RSS-MB")
			b.ReportMetric(procStatusMB(b, h.Pid(), "VmHWM"), "peak-RSS-MB")
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
