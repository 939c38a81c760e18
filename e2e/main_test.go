// Package e2e tests the plugin binary the way Grafana runs it: built from
// source, started over the go-plugin handshake, called over gRPC, and
// pointed at real HTTP servers on loopback.
package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

var (
	host *grafanahost.Host
	// pluginLogs holds everything the plugin logged, so tests can check
	// that no secret ever reaches the logs.
	pluginLogs = &syncBuffer{}
	binaryPath string
	pprofAddr  string
)

// otherBinaryEnv names a plugin binary to test instead of building one.
const otherBinaryEnv = "INHOUSE_PLUGIN_BINARY"

func freeLoopbackAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "inhouse-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binaryPath = filepath.Join(dir, grafanahost.BinaryName())
	if other := os.Getenv(otherBinaryEnv); other != "" {
		// Benchmarks can measure another build (an earlier commit's)
		// with this harness.
		binaryPath = other
	} else {
		// The same package and tags mage builds; built here so the test
		// never runs against a stale dist/.
		build := exec.Command("go", "build", "-tags", "arrow_json_stdlib", "-o", binaryPath, "../pkg")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building the plugin:", err)
			os.Exit(1)
		}
	}
	// The SDK's profiler (as Grafana enables it) lets the soak test count
	// the plugin's goroutines.
	pprofAddr = freeLoopbackAddr()
	_, port, _ := net.SplitHostPort(pprofAddr)
	host, err = grafanahost.Start(binaryPath, grafanahost.Options{Logs: pluginLogs, Env: []string{
		"GF_PLUGIN_PROFILING_ENABLED=true", "GF_PLUGIN_PROFILING_PORT=" + port,
		// Every line the plugin can log, so the secrets test sees them all.
		"GF_PLUGIN_LOG_LEVEL=debug",
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	host.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
