package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// openFDs counts the plugin process's open file descriptors and, of
// those, sockets (HTTP connections, gRPC, listeners).
func openFDs(t *testing.T, pid int) (fds, sockets int) {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("cannot read %s: %v", dir, err)
	}
	for _, e := range entries {
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			sockets++
		}
	}
	return len(entries), sockets
}

// goroutines reads the plugin's goroutine count from its profiler.
func goroutines(t *testing.T) int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	res, err := c.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatalf("the plugin's profiler: %v", err)
	}
	defer res.Body.Close()
	var n int
	if _, err := fmt.Fscanf(res.Body, "goroutine profile: total %d", &n); err != nil {
		t.Fatalf("reading the goroutine profile: %v", err)
	}
	return n
}

// TestSoak sends thousands of queries from concurrent callers, a mix of
// healthy ones and faults, while the data source's settings change
// (each change builds a new instance and disposes the old one). Every
// query must get an answer or a clear error, and afterwards the plugin
// must hold no more descriptors or connections than before.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	elsewhere := serve(t, refserver.New(refserver.Options{}))
	srv := serve(t, faultServer(t, elsewhere.URL))
	pid := host.Pid()
	ds := dataSource(srv.URL)
	ds.JSONData["timeout"] = 1
	ds.JSONData["maxResponseMB"] = 1

	warm, err := host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}, nil)
	if err != nil || warm.Responses["A"].Error != nil {
		t.Fatal(err)
	}
	baseGoroutines := goroutines(t)
	baseFDs, baseSockets := openFDs(t, pid)

	targets := []string{"cpu_usage", "cpu_usage", "cpu_usage", "reset_mid_body", "rate_limited", "always_503",
		"invalid_json", "truncated", "wrong_shape", "wrong_types", "odd_values", "too_large", "redirect_away", "html_500", "no_such_target"}
	const callers, perCaller, settingsChanges = 24, 125, 6
	var (
		answered, failed, unexplained atomic.Int64
		dsMu                          sync.Mutex
		wg                            sync.WaitGroup
		done                          atomic.Int64
	)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < perCaller; i++ {
				n := done.Add(1)
				dsMu.Lock()
				if n%int64(callers*perCaller/settingsChanges) == 0 {
					ds.Updated = time.Now() // the operator saved the settings again
				}
				mine := ds
				dsMu.Unlock()
				target := targets[(c*perCaller+i)%len(targets)]
				res, err := host.QueryData(context.Background(), mine, []backend.DataQuery{dq("A", `{"target":"`+target+`"}`)}, nil)
				if err != nil {
					unexplained.Add(1)
					continue
				}
				r, ok := res.Responses["A"]
				switch {
				case !ok:
					unexplained.Add(1)
				case r.Error == nil:
					answered.Add(1)
				case r.Error.Error() != "" && r.ErrorSource == backend.ErrorSourceDownstream:
					failed.Add(1)
				default:
					unexplained.Add(1)
				}
			}
		}(c)
	}
	wg.Wait()
	total := int64(callers * perCaller)
	t.Logf("soak: %d queries, %d answered, %d clear downstream errors, %d unexplained, %d settings changes", total, answered.Load(), failed.Load(), unexplained.Load(), settingsChanges)
	if answered.Load()+failed.Load() != total || unexplained.Load() != 0 {
		t.Errorf("every query needs an answer or a clear error")
	}
	if host.Exited() {
		t.Fatal("the plugin exited")
	}

	// One more save: the soak's last instance is replaced too. The SDK
	// disposes replaced instances 5 s later, and Dispose closes their
	// connections, so the count returns to the one-instance baseline.
	ds.Updated = time.Now()
	if res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}, nil); err != nil || res.Responses["A"].Error != nil {
		t.Fatalf("after the soak: %v", err)
	}
	var fds, sockets, routines int
	for i := 0; i < 100; i++ {
		fds, sockets = openFDs(t, pid)
		routines = goroutines(t)
		if fds <= baseFDs+4 && routines <= baseGoroutines+8 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("plugin descriptors: %d before, %d after (sockets %d before, %d after); goroutines %d before, %d after", baseFDs, fds, baseSockets, sockets, baseGoroutines, routines)
	if routines > baseGoroutines+8 {
		t.Errorf("the plugin runs %d goroutines after the soak, %d before", routines, baseGoroutines)
	}
	if fds > baseFDs+4 {
		t.Errorf("the plugin holds %d descriptors after the soak, %d before", fds, baseFDs)
	}
	res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}, nil)
	if err != nil || res.Responses["A"].Error != nil {
		t.Fatalf("the plugin does not answer normally after the soak: %v %v", err, res.Responses["A"].Error)
	}
}
