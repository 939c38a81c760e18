package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// TestConform runs conform as a team would in its CI: the verdict on
// stdout, and the exit code says whether the service conforms.
func TestConform(t *testing.T) {
	ref := refserver.New(refserver.Options{Token: "team-token"})
	good := httptest.NewServer(ref)
	defer good.Close()
	// A server that answers 500 to every malformed body, as many do.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/query" && !json.Valid(body) {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		ref.ServeHTTP(w, r)
	}))
	defer bad.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{name: "reference server", args: []string{"--url", good.URL, "--api-key", "team-token"}, wantCode: 0,
			want: []string{"conforms:", "missing credential", "0 failures"}},
		{name: "wrong api key", args: []string{"--url", good.URL, "--api-key", "nope"}, wantCode: 1,
			want: []string{"health", "does not conform"}},
		{name: "500 on a malformed body", args: []string{"--url", bad.URL, "--api-key", "team-token"}, wantCode: 1,
			want: []string{"malformed body (not JSON)", "fail", "-> answer a malformed body with 400, not 5xx", "(contract: Errors)", "does not conform"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, append([]string{"conform", "--wire-only"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q\n%s", code, tt.wantCode, stderr, stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		stdout, _, code := runCLI(t, "conform", "--wire-only", "--json", "--url", bad.URL, "--api-key", "team-token")
		var rep struct {
			Failures int `json:"failures"`
			Results  []struct {
				Check, Result, Advice string
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
		}
		if code != 1 || rep.Failures == 0 || len(rep.Results) == 0 {
			t.Errorf("exit %d, %d failures of %d results; want exit 1 and failures", code, rep.Failures, len(rep.Results))
		}
	})
	t.Run("no url", func(t *testing.T) {
		args := []string{"conform", "--wire-only"}
		stdout, stderr, code := runCLI(t, args...)
		checkUsageError(t, args, stdout, stderr, code, "--url is required")
	})
}
