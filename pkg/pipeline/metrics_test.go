package pipeline

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/telemetry"
)

// The pipeline counts what it decides: a lookup in the cache when the
// call may use it (not a fresh read, not a live poll), and each caller
// that joins a call in flight.
func TestPipelineCountsCacheAndSharedCalls(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, `[{"target":"up","datapoints":[[1,1764000000000]]}]`)
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m, err := telemetry.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{URL: srv.URL, JSONData: []byte(`{"cacheTTLSeconds": 60}`)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(s, httpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := New(s, c, m)
	q := parse(t, `{"target":"up"}`)

	const callers = 4
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if _, err := p.Query(context.Background(), q, false); err != nil {
				t.Error(err)
			}
		})
	}
	// The service holds the call until every caller has joined it.
	deadline := time.Now().Add(10 * time.Second)
	for gathered(t, reg, "inhouse_metrics_coalesced_calls_total", "") < callers-1 {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the callers never joined the call in flight")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	steps := []struct {
		name      string
		run       func() error
		hit, miss float64
		coalesced float64
	}{
		{"identical callers at once", func() error { return nil }, 0, callers, callers - 1},
		{"a repeat", func() error { _, err := p.Query(context.Background(), q, false); return err }, 1, callers, callers - 1},
		{"a fresh read", func() error { _, err := p.Query(context.Background(), q, true); return err }, 1, callers, callers - 1},
		{"a live poll", func() error { _, err := p.Poll(context.Background(), q); return err }, 1, callers, callers - 1},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		hit := gathered(t, reg, "inhouse_metrics_cache_requests_total", "hit")
		miss := gathered(t, reg, "inhouse_metrics_cache_requests_total", "miss")
		co := gathered(t, reg, "inhouse_metrics_coalesced_calls_total", "")
		if hit != st.hit || miss != st.miss || co != st.coalesced {
			t.Errorf("after %s: hits %v, misses %v, coalesced %v; want %v, %v, %v", st.name, hit, miss, co, st.hit, st.miss, st.coalesced)
		}
	}
}

// gathered is the value of a counter on reg; result picks the cache
// counter's series.
func gathered(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if result == "" || (len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == result) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
