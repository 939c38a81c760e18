package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// TestServeSaysTokenRequired: a server started with --token says on
// start that every request needs it.
func TestServeSaysTokenRequired(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "serve", "--listen", "127.0.0.1:0", "--token", "tk")
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	r := bufio.NewReader(out)
	first, _ := r.ReadString('\n')
	second, _ := r.ReadString('\n')
	if !strings.Contains(first, "http://127.0.0.1:") || !strings.Contains(second, "needs the token") || !strings.Contains(second, "--api-key") {
		t.Errorf("serve --token printed %q then %q; want the address, then that the token is required", first, second)
	}
}

// TestUIPortInUse: ui on a port already held says so as serve does.
func TestUIPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	page, dist := t.TempDir(), filepath.Join(t.TempDir(), "dist")
	if err := os.Mkdir(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(page, "index.html"), "<html></html>")
	write(t, filepath.Join(dist, "module.js"), "")
	// The fake plugin stands in for the binary the ui command looks for.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dist, grafanahost.BinaryName())); err != nil {
		t.Fatal(err)
	}
	args := []string{"ui", "--listen", ln.Addr().String(), "--page", page, "--dist", dist}
	stdout, stderr, code := runCLI(t, args...)
	if code != 1 || !strings.Contains(stderr, "cannot listen on "+ln.Addr().String()) || !strings.Contains(stderr, "--listen") || strings.Contains(stderr, "listen tcp") {
		t.Errorf("exit %d, stderr %q, stdout %q; want exit 1 and serve's port-in-use line", code, stderr, stdout)
	}
}
