package main

import (
	"bufio"
	"context"
	"fmt"
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

// TestServeStopsWithParent: serve started by `go run` stops and frees its
// port when the go tool dies (of Ctrl-C or SIGTERM, which it does not pass
// on); started in the background by any other parent, such as a script
// that exits, it goes on serving. The go tool is stood in for by a copy of
// sh named go, since the parent is recognised by its executable's name.
func TestServeStopsWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	sh, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh to stand in for the go tool")
	}
	goTool := filepath.Join(t.TempDir(), "go")
	if err := os.WriteFile(goTool, sh, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		parent    string
		wantStops bool
	}{
		{parent: goTool, wantStops: true},
		{parent: "/bin/sh", wantStops: false},
	} {
		t.Run(filepath.Base(tc.parent), func(t *testing.T) {
			parent := exec.Command(tc.parent, "-c", `"$0" serve --listen 127.0.0.1:0 & echo "pid $!"; wait`, os.Args[0])
			parent.Env = append(os.Environ(), cliEnv+"=1")
			out, err := parent.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := parent.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(out)
			var pid int
			var addr string
			for addr == "" {
				line, err := r.ReadString('\n')
				if err != nil {
					_ = parent.Process.Kill()
					t.Fatalf("serve printed %q: %v", line, err)
				}
				if _, err := fmt.Sscanf(line, "pid %d", &pid); err == nil {
					continue
				}
				if i := strings.Index(line, "http://"); i >= 0 {
					addr = strings.TrimSpace(line[i+len("http://"):])
				}
			}
			server, err := os.FindProcess(pid)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = server.Kill() })
			_ = parent.Process.Kill()
			_ = parent.Wait()
			// The kernel signals serve as its parent dies; a stopping serve
			// closes its port within milliseconds, so 10 s is a wide bound
			// and 2 s of serving on shows it was not signalled.
			wait := 10 * time.Second
			if !tc.wantStops {
				wait = 2 * time.Second
			}
			deadline := time.Now().Add(wait)
			for time.Now().Before(deadline) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					if !tc.wantStops {
						t.Fatalf("serve stopped when its parent %s exited; it should go on serving", tc.parent)
					}
					return
				}
				c.Close()
				time.Sleep(50 * time.Millisecond)
			}
			if tc.wantStops {
				t.Fatalf("serve still listens on %s 10 s after its parent was killed", addr)
			}
		})
	}
}
