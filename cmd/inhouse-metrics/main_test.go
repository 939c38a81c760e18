package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// cliEnv makes this test binary, re-executed, run the command line's main
// instead of the tests: exit codes, panics and stderr are then exactly
// what a user sees, and the tests run against any version of main.
const cliEnv = "INHOUSE_METRICS_TEST_CLI"

func TestMain(m *testing.M) {
	// Checked first: the fake plugin is started by a re-executed command
	// line and so inherits cliEnv too.
	if os.Getenv(grpcplugin.MagicCookieKey) == grpcplugin.MagicCookieValue {
		serveFakePlugin()
		os.Exit(0)
	}
	if os.Getenv(cliEnv) == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if builtError == nil && builtPath != "" {
		_ = os.RemoveAll(filepath.Dir(builtPath))
	}
	os.Exit(code)
}

// serveFakePlugin answers over the real plugin protocol so the command
// line's whole path runs without building the plugin. Each query's answer
// is a notice echoing what the plugin received, which query prints.
func serveFakePlugin() {
	err := backend.Manage("inhouse-metrics-test-fake", backend.ServeOpts{
		CheckHealthHandler: backend.CheckHealthHandlerFunc(func(ctx context.Context, req *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
			if s := req.PluginContext.DataSourceInstanceSettings; s != nil && strings.HasPrefix(s.URL, "https://") {
				return reachTLS(ctx, s), nil
			}
			return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: "fake plugin"}, nil
		}),
		CallResourceHandler: backend.CallResourceHandlerFunc(func(_ context.Context, _ *backend.CallResourceRequest, s backend.CallResourceResponseSender) error {
			return s.Send(&backend.CallResourceResponse{Status: 404})
		}),
		QueryDataHandler: backend.QueryDataHandlerFunc(func(_ context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
			res := backend.NewQueryDataResponse()
			for _, q := range req.Queries {
				f := data.NewFrame("")
				if live := liveFrame(q.JSON); live != nil {
					f = live
				}
				if f.Meta == nil {
					f.Meta = &data.FrameMeta{}
				}
				f.Meta.Notices = []data.Notice{{Text: fmt.Sprintf("range %s..%s points %d interval %s model %s",
					q.TimeRange.From.UTC().Format(time.RFC3339), q.TimeRange.To.UTC().Format(time.RFC3339), q.MaxDataPoints, q.Interval, q.JSON)}}
				res.Responses[q.RefID] = backend.DataResponse{Frames: data.Frames{f}}
			}
			return res, nil
		}),
		StreamHandler: fakeStreams{},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// fakePlugin is the --plugin argument that starts serveFakePlugin.
func fakePlugin(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// noPlugin is a --plugin path that cannot start: commands given bad flags
// must say so before they need the plugin.
const noPlugin = "/nonexistent/gpx_inhouse_metrics"

// runCLI runs inhouse-metrics with args in a child process.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("inhouse-metrics %s did not finish in 30s; stdout %q stderr %q", strings.Join(args, " "), out.String(), errOut.String())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// checkUsageError checks what every error must look like: a non-zero
// exit, nothing on stdout, and one line on stderr, no panic or stack,
// that contains each of want.
func checkUsageError(t *testing.T, args []string, stdout, stderr string, code int, want ...string) {
	t.Helper()
	cmdline := "inhouse-metrics " + strings.Join(args, " ")
	if code == 0 {
		t.Errorf("%s: exit code 0, want an error; stdout %q", cmdline, stdout)
	}
	if stdout != "" {
		t.Errorf("%s: stdout %q, want nothing before the error", cmdline, stdout)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Errorf("%s: stderr has %d lines, want one:\n%s", cmdline, len(lines), stderr)
	}
	for _, bad := range []string{"panic", "goroutine", ".go:", "json: ", "Go value", "RawMessage"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("%s: stderr shows Go internals (%q):\n%s", cmdline, bad, stderr)
		}
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("%s: stderr %q does not contain %q", cmdline, strings.TrimSpace(stderr), w)
		}
	}
}

// TestArguments covers what every command shares: positional arguments
// and unknown flags are rejected with a usage hint, not ignored.
func TestArguments(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{args: []string{"serve", "--listen", "127.0.0.1:0", "extra"}, want: []string{`unexpected argument "extra"`, "inhouse-metrics serve -h"}},
		{args: []string{"query", "--plugin", noPlugin, "--url", "http://x", "--target", "cpu_usage", "extra"}, want: []string{`unexpected argument "extra"`, "inhouse-metrics query -h"}},
		// flag stops at the first argument that is not a flag, so
		// everything after it would be silently dropped.
		{args: []string{"query", "--plugin", noPlugin, "cpu_usage", "--url", "http://x"}, want: []string{`unexpected argument "cpu_usage"`, "--target"}},
		{args: []string{"health", "--plugin", noPlugin, "extra", "--url", "http://x"}, want: []string{`unexpected argument "extra"`, "inhouse-metrics health -h"}},
		{args: []string{"demo", "--plugin", noPlugin, "extra"}, want: []string{`unexpected argument "extra"`, "inhouse-metrics demo -h"}},
		{args: []string{"ui", "--page", "/nonexistent", "extra"}, want: []string{`unexpected argument "extra"`, "inhouse-metrics ui -h"}},
		{args: []string{"query", "--bogus"}, want: []string{"-bogus", "inhouse-metrics query -h"}},
		{args: []string{"query", "--max-data-points", "many"}, want: []string{"-max-data-points", "many", "inhouse-metrics query -h"}},
		{args: []string{"bogus"}, want: []string{`unknown command "bogus"`, "inhouse-metrics help"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runCLI(t, tt.args...)
			checkUsageError(t, tt.args, stdout, stderr, code, tt.want...)
		})
	}
}

// TestHelp checks that asked-for help goes to stdout and succeeds.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"query", "-h"}, {"serve", "--help"}} {
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "usage") {
			t.Errorf("inhouse-metrics %s: exit %d, stdout %q, stderr %q; want usage on stdout and exit 0", strings.Join(args, " "), code, stdout, stderr)
		}
	}
}

// reachTLS GETs an https URL with the HTTP client the SDK builds from the
// data source's settings, as the real plugin builds its own, so the TLS
// and auth flags are tested as the plugin reads them.
func reachTLS(ctx context.Context, s *backend.DataSourceInstanceSettings) *backend.CheckHealthResult {
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: "settings: " + err.Error()}
	}
	hc, err := httpclient.New(opts)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: "client: " + err.Error()}
	}
	res, err := hc.Get(s.URL)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}
	}
	res.Body.Close()
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: "fake plugin reached " + s.URL + ": " + res.Status}
}
