package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// hostile is one input of the security review's "one viewer can take the
// plugin to gigabytes": a query model a dashboard user writes, or an
// answer a service sends, each within the size limits that existed.
type hostile struct {
	name string
	// answer is the service's answer to every call.
	answer func() []byte
	// call makes the request over the plugin protocol and returns the
	// status and error text Grafana gets.
	call func(tb testing.TB, h *grafanahost.Host, ds grafanahost.DataSource) (status int, errText string)
	// wantStatus and want are what the plugin answers now.
	wantStatus int
	want       string
	// aboveIdle bounds the peak RSS above the idle process, in MB; 0
	// means 100.
	aboveIdle float64
}

// zeros is a list answer of n options "0", 2 bytes each: 30 million of
// them make the review's 57 MB answer.
func zeros(n int) []byte {
	b := bytes.Repeat([]byte("0,"), n)
	b[len(b)-1] = ']'
	return append([]byte{'['}, b...)
}

// taggedSeries is an answer of n series of one point, each with a pod
// tag that starts with tag.
func taggedSeries(n int, tag string) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"target":"requests","tags":{"pod":"%s%d"},"datapoints":[[1,1764000000000]]}`, tag, i)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// queryCall runs one query of the given type and model.
func queryCall(queryType, model string) func(testing.TB, *grafanahost.Host, grafanahost.DataSource) (int, string) {
	return func(tb testing.TB, h *grafanahost.Host, ds grafanahost.DataSource) (int, string) {
		q := dq("A", model)
		q.QueryType = queryType
		res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
		if err != nil {
			return 0, err.Error()
		}
		r := res.Responses["A"]
		if r.Error == nil {
			return int(r.Status), ""
		}
		return int(r.Status), r.Error.Error()
	}
}

// resourceCall posts body to one of the plugin's resources.
func resourceCall(route, body string) func(testing.TB, *grafanahost.Host, grafanahost.DataSource) (int, string) {
	return func(tb testing.TB, h *grafanahost.Host, ds grafanahost.DataSource) (int, string) {
		res, err := h.CallResource(context.Background(), ds, "POST", route, []byte(body))
		if err != nil {
			return 0, err.Error()
		}
		if res.Status == http.StatusOK {
			return res.Status, ""
		}
		return res.Status, string(res.Body)
	}
}

func hostileInputs() []hostile {
	const events = `the answer has more than`
	alias := func(a string) string { return fmt.Sprintf(`{"target":"requests","alias":%q}`, a) }
	return []hostile{
		{
			name:       "alias 1 MB, 400 series",
			answer:     func() []byte { return wideAnswer(400) },
			call:       queryCall("", alias(strings.Repeat("x", 1<<20))),
			wantStatus: http.StatusBadRequest,
			want:       "the alias (legend) is 1,048,576 bytes, above the limit of 1,024 bytes",
		},
		{
			// Within the alias bound: 100 references to a 16 KB tag give
			// each of 400 series a 1.6 MB name, 640 MB in all.
			name:       "alias {{pod}} x100, 400 series with 16 KB tags",
			answer:     func() []byte { return taggedSeries(400, strings.Repeat("p", 16<<10)) },
			call:       queryCall("", alias(strings.Repeat("{{pod}}", 100))),
			wantStatus: http.StatusOK,
		},
		{
			name:       "/variable 57 MB, 30M options",
			answer:     func() []byte { return zeros(30_000_000) },
			call:       queryCall(models.QueryTypeVariable, `{"query":"services"}`),
			wantStatus: http.StatusBadGateway,
			want:       events + ` 100,000 options, the limit set by "Maximum list items" in the data source's settings`,
		},
		{
			name:       "/tag-values 57 MB, 30M values",
			answer:     func() []byte { return zeros(30_000_000) },
			call:       resourceCall(models.ResourceTagValues, `{"key":"pod"}`),
			wantStatus: http.StatusBadGateway,
			want:       events + ` 100,000 options`,
		},
		{
			// The query editor's metric list is still read whole (bounded
			// by "Maximum response size") and scrubbed before it is
			// decoded; the decode then stops at the list limit.
			name:       "/metrics 57 MB, 30M metrics",
			aboveIdle:  250,
			answer:     func() []byte { return zeros(30_000_000) },
			call:       resourceCall(models.ResourceMetrics, `{}`),
			wantStatus: http.StatusBadGateway,
			want:       events + ` 100,000 metrics, the limit set by \"Maximum list items\"`,
		},
		{
			name: "/annotations one event, 57 MB of comma tags",
			answer: func() []byte {
				tags := bytes.Repeat([]byte("a,"), 30_000_000)
				return []byte(`[{"time":1795903749000,"title":"deploy","tags":"` + string(tags) + `"}]`)
			},
			call:       queryCall(models.QueryTypeAnnotations, `{"query":"deploys","name":"Deploys"}`),
			wantStatus: http.StatusBadGateway,
			want:       events + ` 65,536 bytes in one value, the limit set by "Maximum item size" in the data source's settings`,
		},
	}
}

// hostileRun serves the input's answer, runs its call on a plugin process
// of its own and returns the status, the error and the peak RSS in MB
// above the idle process.
func hostileRun(tb testing.TB, in hostile, body []byte) (status int, errText string, idle, peak float64) {
	srv := serve(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body)
	}))
	h := startHost(tb, nil)
	ds := dataSource(srv.URL)
	ds.JSONData["maxResponseMB"] = 200
	idle = procStatusMB(tb, h.Pid(), "VmRSS")
	status, errText = in.call(tb, h, ds)
	return status, errText, idle, procStatusMB(tb, h.Pid(), "VmHWM")
}

// TestHostileInputsStaySmall: each hostile input of the review is
// refused with a clear error (or, for legends within the alias bound,
// answered with the series' own names), and the plugin's peak RSS stays
// within 100 MB of the idle process (250 for /metrics, read whole), where
// it took 2.3 to 7.4 GB before (see BenchmarkHostileInputs).
func TestHostileInputsStaySmall(t *testing.T) {
	for _, in := range hostileInputs() {
		t.Run(in.name, func(t *testing.T) {
			status, errText, idle, peak := hostileRun(t, in, in.answer())
			if status != in.wantStatus || !strings.Contains(errText, in.want) {
				t.Errorf("status %d, error %.300q\nwant %d, %q", status, errText, in.wantStatus, in.want)
			}
			bound := in.aboveIdle
			if bound == 0 {
				bound = 100
			}
			if peak > idle+bound {
				t.Errorf("peak RSS %.0f MB from %.0f MB idle", peak, idle)
			}
		})
	}
}

// BenchmarkHostileInputs reports the plugin process's peak RSS (VmHWM)
// for each hostile input of the review, a fresh process per input, and
// how long the call took. INHOUSE_PLUGIN_BINARY measures another build
// (main's, for the numbers before).
//
//	go test -run '^$' -bench HostileInputs -benchtime 1x -count 3 ./e2e
func BenchmarkHostileInputs(b *testing.B) {
	for _, in := range hostileInputs() {
		b.Run(in.name, func(b *testing.B) {
			body := in.answer()
			var (
				status      int
				errText     string
				idle, peak  float64
				elapsed     time.Duration
				measuredRun bool
			)
			for b.Loop() {
				start := time.Now()
				status, errText, idle, peak = hostileRun(b, in, body)
				elapsed, measuredRun = time.Since(start), true
			}
			if !measuredRun {
				return
			}
			b.ReportMetric(peak, "peak-RSS-MB")
			b.ReportMetric(peak-idle, "above-idle-MB")
			b.ReportMetric(elapsed.Seconds(), "call-s")
			b.Logf("status %d: %.160s", status, errText)
		})
	}
}

// The list limits are data source settings with the operator's ceilings,
// as "Maximum series" is: the error names the one that decided.
func TestListLimitsAreSettings(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(zeros(20))
	}))
	tests := []struct {
		name     string
		env      []string
		jsonData map[string]any
		want     string
	}{
		{"the default", nil, nil, ""},
		{"the data source's", nil, map[string]any{"maxListItems": 10}, `the answer has more than 10 options, the limit set by "Maximum list items" in the data source's settings; narrow the query (a more specific query or filter) or raise the setting`},
		{"the operator's ceiling", []string{"GF_PLUGIN_MAX_LIST_ITEMS=5"}, map[string]any{"maxListItems": 10}, `the answer has more than 5 options, the limit set by max_list_items in [plugin.inhouse-metrics-datasource] of grafana.ini (the Grafana operator's ceiling on every data source's "Maximum list items"); narrow the query (a more specific query or filter) or ask the Grafana operator to raise it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHost(t, nil, tt.env...)
			ds := dataSource(srv.URL)
			for k, v := range tt.jsonData {
				ds.JSONData[k] = v
			}
			status, errText := queryCall(models.QueryTypeVariable, `{"query":"x"}`)(t, h, ds)
			if tt.want == "" && (status != http.StatusOK || errText != "") || tt.want != "" && (status != http.StatusBadGateway || !strings.Contains(errText, tt.want)) {
				t.Errorf("status %d, error %q\nwant %q", status, errText, tt.want)
			}
			res, err := h.CallResource(context.Background(), ds, "POST", models.ResourceTagKeys, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" && res.Status != http.StatusOK || tt.want != "" && (res.Status != http.StatusBadGateway || !strings.Contains(string(res.Body), strings.ReplaceAll(tt.want, `"`, `\"`))) {
				t.Errorf("tag-keys: %d %s", res.Status, res.Body)
			}
		})
	}
}
