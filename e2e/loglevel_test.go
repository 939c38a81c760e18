package e2e

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// startHost launches a plugin process of its own, for tests that need
// other settings than the shared host's.
func startHost(tb testing.TB, logs io.Writer, env ...string) *grafanahost.Host {
	tb.Helper()
	h, err := grafanahost.Start(binaryPath, grafanahost.Options{Logs: logs, Env: env})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(h.Close)
	return h
}

// The SDK logs every request at debug ("Plugin Request Started") and at
// info ("Plugin Request Completed"); the operator's log_level decides
// which of them leave the plugin.
func TestLogLevel(t *testing.T) {
	srv := serve(t, refserver.New(refserver.Options{}))
	tests := []struct {
		name          string
		env           []string
		wantStarted   bool
		wantCompleted bool
		wantWarning   string
	}{
		{name: "default info", wantCompleted: true},
		{name: "debug", env: []string{"GF_PLUGIN_LOG_LEVEL=debug"}, wantStarted: true, wantCompleted: true},
		{name: "warn", env: []string{"GF_PLUGIN_LOG_LEVEL=warn"}},
		{name: "unknown falls back to info", env: []string{"GF_PLUGIN_LOG_LEVEL=loud"}, wantCompleted: true, wantWarning: `log_level "loud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &syncBuffer{}
			h := startHost(t, logs, tt.env...)
			res, err := h.CheckHealth(context.Background(), dataSource(srv.URL))
			if err != nil || res.Message == "" {
				t.Fatal(err, res)
			}
			h.Close() // flushes the plugin's stderr into logs
			out := logs.String()
			if got := strings.Contains(out, "Plugin Request Started"); got != tt.wantStarted {
				t.Errorf("debug line logged: %v, want %v\n%s", got, tt.wantStarted, out)
			}
			if got := strings.Contains(out, "Plugin Request Completed"); got != tt.wantCompleted {
				t.Errorf("info line logged: %v, want %v\n%s", got, tt.wantCompleted, out)
			}
			if tt.wantWarning != "" && !strings.Contains(out, tt.wantWarning) {
				t.Errorf("no warning %s in\n%s", tt.wantWarning, out)
			}
		})
	}
}

// The operator's memory_limit_mb reaches the Go runtime of the plugin
// process, read back from the metrics Grafana scrapes; an invalid value
// leaves no limit and says why.
func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		name        string
		env         []string
		want        string // go_gc_gomemlimit_bytes
		wantWarning string
	}{
		// GOMEMLIMIT=off, so a limit in the test's own environment does
		// not leak in.
		{name: "unset: no limit", env: []string{"GOMEMLIMIT=off"}, want: "9.223372036854776e+18"},
		{name: "256 MB", env: []string{"GOMEMLIMIT=off", "GF_PLUGIN_MEMORY_LIMIT_MB=256"}, want: "2.68435456e+08"},
		{name: "invalid: no limit", env: []string{"GOMEMLIMIT=off", "GF_PLUGIN_MEMORY_LIMIT_MB=1GB"}, want: "9.223372036854776e+18", wantWarning: `memory_limit_mb "1GB"`},
		{name: "GOMEMLIMIT alone applies", env: []string{"GOMEMLIMIT=100MiB"}, want: "1.048576e+08"},
		{name: "memory_limit_mb wins over GOMEMLIMIT", env: []string{"GOMEMLIMIT=100MiB", "GF_PLUGIN_MEMORY_LIMIT_MB=256"}, want: "2.68435456e+08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &syncBuffer{}
			h := startHost(t, logs, tt.env...)
			metrics, err := h.CollectMetrics(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, line := range strings.Split(metrics, "\n") {
				if v, ok := strings.CutPrefix(line, "go_gc_gomemlimit_bytes "); ok {
					got = v
				}
			}
			if got != tt.want {
				t.Errorf("go_gc_gomemlimit_bytes %q, want %q", got, tt.want)
			}
			h.Close() // flushes the plugin's stderr into logs
			if tt.wantWarning != "" && !strings.Contains(logs.String(), tt.wantWarning) {
				t.Errorf("no warning %s in\n%s", tt.wantWarning, logs.String())
			}
		})
	}
}
