package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

var (
	buildOnce  sync.Once
	builtPath  string
	builtError error
)

// realPlugin builds the plugin as mage does (same package and tags) once
// per test run, so the commands that read what the plugin answers are
// tested against the real one, never a stale dist/.
func realPlugin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "inhouse-cli-plugin")
		if err != nil {
			builtError = err
			return
		}
		builtPath = filepath.Join(dir, grafanahost.BinaryName())
		out, err := exec.Command("go", "build", "-tags", "arrow_json_stdlib", "-o", builtPath, "../../pkg").CombinedOutput()
		if err != nil {
			builtError = err
			builtPath = string(out)
		}
	})
	if builtError != nil {
		t.Fatalf("building the plugin: %v\n%s", builtError, builtPath)
	}
	return builtPath
}

// TestPluginCommands runs each list command through the real plugin
// against the reference server.
func TestPluginCommands(t *testing.T) {
	srv := httptest.NewServer(refserver.New(refserver.Options{}))
	defer srv.Close()
	guarded := httptest.NewServer(refserver.New(refserver.Options{Token: "t0k"}))
	defer guarded.Close()
	stdout, stderr, code := runCLI(t, "health", "--plugin", realPlugin(t), "--url", guarded.URL)
	if code != 1 || !strings.Contains(stdout, "no credential was sent") || !strings.Contains(stdout, "(on the command line: --api-key, --basic-auth-user or --header)") {
		t.Errorf("health without a credential: exit %d, want 1 and the flags named:\n%s%s", code, stdout, stderr)
	}
	tests := []struct {
		args     []string
		wantCode int
		want     []string
	}{
		{[]string{"metrics"}, 0, []string{"cpu_usage", "CPU usage (cores)", "service (multi-select), region (select)", "5 metrics"}},
		{[]string{"tag-keys"}, 0, []string{"service\n", "region\n", "2 keys"}},
		{[]string{"tag-values", "--key", "region"}, 0, []string{"eu-west\n", "us-east\n", "2 values"}},
		{[]string{"variable", "--query", "cpu"}, 0, []string{"text", "value", "cpu_usage"}},
		{[]string{"annotations", "--query", "checkout"}, 0, []string{"timeEnd", "Deployed checkout"}},
		{[]string{"annotations", "--target", "deployments"}, 0, []string{"title", "checkout"}},
		{[]string{"query", "--target", "cpu_usage", "--max-series", "2"}, 1, []string{"more than 2 series", "Maximum series", "(on the command line: --max-series N)"}},
		{[]string{"query", "--target", "cpu_usage", "--max-response-mb", "0.01"}, 1, []string{"larger than", "(on the command line: --max-response-mb MB)"}},
		{[]string{"query", "--target", "cpu_usage", "--layout", "wide"}, 0, []string{"{region=eu-west, service=checkout}"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append(tt.args[:1:1], append([]string{"--plugin", realPlugin(t), "--url", srv.URL}, tt.args[1:]...)...)
			stdout, stderr, code := runCLI(t, args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
		})
	}
}

// TestIdentityAndAuthReachService checks, at the service, what the
// identity and auth flags make the real plugin send.
func TestIdentityAndAuthReachService(t *testing.T) {
	var mu sync.Mutex
	var seen http.Header
	ref := refserver.New(refserver.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/query" {
			mu.Lock()
			seen = r.Header.Clone()
			mu.Unlock()
		}
		ref.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tests := []struct {
		name   string
		flags  []string
		header string
		want   string
	}{
		{"user header", []string{"--send-user-header", "--user", "alice"}, "X-Grafana-User", "alice"},
		{"oauth token", []string{"--oauth-token", "tok-123"}, "Authorization", "Bearer tok-123"},
		{"kept cookie", []string{"--cookie", "session=s1; theme=dark", "--keep-cookies", "session"}, "Cookie", "session=s1"},
		{"custom header", []string{"--header", "X-Tenant: team-a"}, "X-Tenant", "team-a"},
		{"basic auth", []string{"--basic-auth-user", "u", "--basic-auth-password", "p"}, "Authorization", "Basic dTpw"},
		{"api key", []string{"--api-key", "k1"}, "Authorization", "Bearer k1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"query", "--plugin", realPlugin(t), "--url", srv.URL, "--target", "cpu_usage"}, tt.flags...)
			stdout, stderr, code := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			mu.Lock()
			got := seen.Get(tt.header)
			mu.Unlock()
			if got != tt.want {
				t.Errorf("%s reached the service as %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

// TestDemo runs the demo against the real plugin: every part answers,
// the failures on purpose are said to be, and it ends with a closing line.
func TestDemo(t *testing.T) {
	stdout, stderr, code := runCLI(t, "demo", "--plugin", realPlugin(t))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, w := range []string{"Save & test: OK", "failing on purpose", "401", "connection refused", "[A] ", "[L] following", "Demo done."} {
		if !strings.Contains(stdout, w) {
			t.Errorf("demo output lacks %q:\n%s", w, stdout)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(stdout), "[--api-key KEY]") {
		t.Errorf("demo does not end with its closing line:\n%s", stdout)
	}
}

// TestResourceErrorIsReadable: a route's error is the plugin's message,
// not its JSON envelope.
func TestResourceErrorIsReadable(t *testing.T) {
	ref := refserver.New(refserver.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tag-keys" {
			_, _ = w.Write([]byte("ok"))
			return
		}
		ref.ServeHTTP(w, r)
	}))
	defer srv.Close()
	stdout, stderr, code := runCLI(t, "tag-keys", "--plugin", realPlugin(t), "--url", srv.URL)
	if code != 1 || !strings.Contains(stderr, "error: tag-keys: POST /tag-keys") || strings.Contains(stderr, `{"error"`) {
		t.Errorf("exit %d, stderr %q, stdout %q; want the plugin's message without its JSON envelope", code, stderr, stdout)
	}
}
