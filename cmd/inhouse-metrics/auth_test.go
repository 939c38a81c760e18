package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startServe runs "inhouse-metrics serve" with args and returns the URL
// it prints.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	i := strings.Index(line, "://")
	if err != nil || i < 0 {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	j := strings.LastIndex(line[:i], " ")
	return strings.TrimSpace(line[j+1:])
}

// TestTLSFlags reaches the command line's own "serve --tls-cert" server,
// whose certificate is self-signed: refused without a flag, with advice
// naming the flag and the page's setting; reached with --ca-cert or
// --skip-verify, through the plugin protocol (health) and directly
// (conform --wire-only).
func TestTLSFlags(t *testing.T) {
	cert, key := writeKeyPair(t, t.TempDir(), "server", time.Now().Add(time.Hour))
	url := startServe(t, "--tls-cert", cert, "--tls-key", key, "--token", "tk")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"health without CA", []string{"health", "--url", url, "--api-key", "tk"}, 1, "certificate"},
		{"health with --ca-cert", []string{"health", "--url", url, "--api-key", "tk", "--ca-cert", cert}, 0, "Save & test: OK"},
		{"health with --skip-verify", []string{"health", "--url", url, "--api-key", "tk", "--skip-verify"}, 0, "Save & test: OK"},
		{"conform without CA", []string{"conform", "--wire-only", "--url", url, "--api-key", "tk"}, 1, "certificate signed by unknown authority"},
		{"conform with --ca-cert", []string{"conform", "--wire-only", "--url", url, "--api-key", "tk", "--ca-cert", cert}, 0, "conforms:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args[:1:1], append([]string{"--plugin", fakePlugin(t)}, tt.args[1:]...)...)
			stdout, stderr, code := runCLI(t, args...)
			if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d (want %d), want %q in\n%s%s", code, tt.wantCode, tt.want, stdout, stderr)
			}
		})
	}
}

// TestAuthFlagErrors checks the auth flags' mistakes are one line that
// names the flag, before the plugin starts.
func TestAuthFlagErrors(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir, "c", time.Now().Add(time.Hour))
	_, otherKey := writeKeyPair(t, dir, "other", time.Now().Add(time.Hour))
	tests := []struct {
		name  string
		flags []string
		want  []string
	}{
		{"no url", nil, []string{"--url is required"}},
		{"api key and basic auth", []string{"--url", "http://x", "--api-key", "k", "--basic-auth-user", "u"}, []string{"--api-key", "--basic-auth-user", "one of them"}},
		{"password without user", []string{"--url", "http://x", "--basic-auth-password", "p"}, []string{"--basic-auth-password needs --basic-auth-user"}},
		{"bad header", []string{"--url", "http://x", "--header", "X-Tenant"}, []string{"X-Tenant", "'Name: value'"}},
		{"missing CA file", []string{"--url", "http://x", "--ca-cert", dir + "/none.pem"}, []string{"--ca-cert", "no such file"}},
		{"key as CA", []string{"--url", "http://x", "--ca-cert", key}, []string{"--ca-cert", "no PEM certificate block"}},
		{"cert without key", []string{"--url", "http://x", "--client-cert", cert}, []string{"--client-cert and --client-key go together"}},
		{"mismatched pair", []string{"--url", "http://x", "--client-cert", cert, "--client-key", otherKey}, []string{"do not make a key pair"}},
		{"bad layout", []string{"--url", "http://x", "--layout", "long"}, []string{"--layout long", "multi or wide"}},
		{"negative max series", []string{"--url", "http://x", "--max-series", "-1"}, []string{"--max-series -1", "1 or more"}},
		{"cookie without keep", []string{"--url", "http://x", "--cookie", "a=b"}, []string{"--cookie", "--keep-cookies"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"health", "--plugin", noPlugin}, tt.flags...)
			stdout, stderr, code := runCLI(t, args...)
			checkUsageError(t, args, stdout, stderr, code, tt.want...)
		})
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"tag-values", "--url", "http://x"}, "--key is required"},
		{[]string{"annotations", "--url", "http://x"}, "give --query"},
		{[]string{"annotations", "--url", "http://x", "--query", "a", "--target", "b"}, "one of them"},
		{[]string{"variable", "--url", "http://x", "--format", "xml"}, "string or json"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append(tt.args[:1:1], append([]string{"--plugin", noPlugin}, tt.args[1:]...)...)
			stdout, stderr, code := runCLI(t, args...)
			checkUsageError(t, args, stdout, stderr, code, tt.want)
		})
	}
}
