package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func TestExpandEnv(t *testing.T) {
	t.Setenv("CONFORM_A", "alpha")
	t.Setenv("CONFORM_B", "")
	for in, want := range map[string]string{
		"${CONFORM_A}":          "alpha",
		"$CONFORM_A-x":          "alpha-x",
		"pre ${CONFORM_A} post": "pre alpha post",
		"$$CONFORM_A":           "$CONFORM_A",
		"${CONFORM_B}":          "",
		"${CONFORM_UNSET_XYZ}!": "!",
		"no variables here":     "no variables here",
		"price: 5$":             "price: 5$",
	} {
		if got := expandEnv(in); got != want {
			t.Errorf("expandEnv(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDataSourceFile reads the settings Grafana would use from a
// provisioning file: the entry chosen by --name, with its environment
// variables expanded, reaches a server that requires the token.
func TestDataSourceFile(t *testing.T) {
	srv := httptest.NewServer(refserver.New(refserver.Options{Token: "file-token"}))
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "ds.yaml")
	write(t, file, `apiVersion: 1
datasources:
  - name: Other
    type: prometheus
    url: http://127.0.0.1:1
  - name: In-house Metrics
    type: inhouse-metrics-datasource
    url: ${CONFORM_URL}
    jsonData:
      authMethod: apiKey
      timeout: 10
    secureJsonData:
      apiKey: $CONFORM_TOKEN
  - name: Staging
    type: inhouse-metrics-datasource
    url: http://127.0.0.1:1
`)
	t.Setenv("CONFORM_URL", srv.URL)
	t.Setenv("CONFORM_TOKEN", "file-token")
	t.Setenv("INHOUSE_METRICS_API_KEY", "not-this-one")
	stdout, stderr, code := runCLI(t, "conform", "--wire-only", "--datasource-file", file, "--name", "In-house Metrics")
	if code != 0 || !strings.Contains(stdout, "missing credential") || !strings.Contains(stdout, "conforms:") {
		t.Errorf("exit %d; want the file's URL and key to conform:\n%s%s", code, stdout, stderr)
	}
	// A flag given beside the file wins.
	_, _, code = runCLI(t, "conform", "--wire-only", "--datasource-file", file, "--name", "In-house Metrics", "--api-key", "wrong")
	if code != 1 {
		t.Errorf("--api-key wrong beside the file: exit %d, want 1 (the flag overrides the file's key)", code)
	}

	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"two of this plugin", []string{"--datasource-file", file}, []string{"2 data sources", "--name"}},
		{"unknown name", []string{"--datasource-file", file, "--name", "Prod"}, []string{`no data source named "Prod"`, `"Staging"`}},
		{"other plugin's entry", []string{"--datasource-file", file, "--name", "Other"}, []string{`no data source named "Other"`}},
		{"missing file", []string{"--datasource-file", filepath.Join(dir, "none.yaml")}, []string{"--datasource-file", "no such file"}},
		{"name without file", []string{"--name", "x", "--url", "http://x"}, []string{"--name", "--datasource-file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"health", "--plugin", noPlugin}, tt.args...)
			stdout, stderr, code := runCLI(t, args...)
			checkUsageError(t, args, stdout, stderr, code, tt.want...)
		})
	}
}
