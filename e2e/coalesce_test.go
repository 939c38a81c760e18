package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// 100 identical queries arriving together (100 panels, or an alert rule
// set) cost the service one call; each caller still gets its own frames
// with its own legend.
func TestIdenticalQueriesShareOneUpstreamCall(t *testing.T) {
	// The delay keeps the first call in flight while the others arrive.
	srv := refserver.New(refserver.Options{Delay: time.Second})
	ds := dataSource(serve(t, srv).URL)
	const callers = 100
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	names := make(chan string, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			alias := "{{service}}"
			if i%2 == 1 {
				alias = "{{region}}"
			}
			q := dq("A", `{"target":"cpu_usage","payload":{"service":"search","region":"eu-west"},"alias":"`+alias+`"}`)
			res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
			if err != nil {
				errs <- err
				return
			}
			r := res.Responses["A"]
			if r.Error != nil || len(r.Frames) != 1 {
				errs <- r.Error
				return
			}
			names <- r.Frames[0].Fields[1].Config.DisplayNameFromDS
		}(i)
	}
	wg.Wait()
	close(errs)
	close(names)
	for err := range errs {
		t.Fatalf("a caller failed: %v", err)
	}
	seen := map[string]int{}
	for n := range names {
		seen[n]++
	}
	if seen["search"] != callers/2 || seen["eu-west"] != callers/2 {
		t.Errorf("legends %v: callers did not get their own frames", seen)
	}
	got := srv.Count("/query")
	if got != 1 {
		t.Errorf("%d upstream /query calls for %d identical queries, want 1", got, callers)
	}
	// bench/run reads this line.
	t.Logf("coalescing: %d identical queries, %d upstream /query calls", callers, got)
}
