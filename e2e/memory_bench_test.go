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

// BenchmarkBigAnswers reports the plugin process's peak RSS (VmHWM) for
// answers that could exhaust Grafana's memory: a 63 MB table, three of
// them in one request, and a table under the cell limit. Each case runs
// in a fresh plugin process. INHOUSE_PLUGIN_BINARY measures another build.
//
//	go test -run '^$' -bench BigAnswers -benchtime 1x ./e2e
func BenchmarkBigAnswers(b *testing.B) {
	cases := []struct {
		name    string
		rows    int
		queries int
	}{
		{"table 63MB", 1_500_000, 1},
		{"3 tables 63MB in one request", 1_500_000, 3},
		{"table 21MB (10M cells)", 499_000, 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := bigTable(c.rows)
			srv := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(body)
			}))
			h := startHost(b, nil)
			ds := dataSource(srv.URL)
			ds.JSONData["maxResponseMB"] = 200
			var queries []backend.DataQuery
			for q := range c.queries {
				queries = append(queries, dq(fmt.Sprint("T", q), fmt.Sprintf(`{"target":"t%d","format":"table"}`, q)))
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
