package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

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

// TestServeStopsWithParent: serve started by a parent that dies (as `go
// run` dies of Ctrl-C or SIGTERM without passing it on) stops and frees
// its port.
func TestServeStopsWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	parent := exec.Command("sh", "-c", `"$0" serve --listen 127.0.0.1:0 & wait`, os.Args[0])
	parent.Env = append(os.Environ(), cliEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	i := strings.Index(line, "http://")
	if err != nil || i < 0 {
		_ = parent.Process.Kill()
		t.Fatalf("serve printed %q: %v", line, err)
	}
	addr := strings.TrimSpace(line[i+len("http://"):])
	_ = parent.Process.Kill()
	_ = parent.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return // the port is free: serve stopped
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("serve still listens on %s 10 s after its parent was killed", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
