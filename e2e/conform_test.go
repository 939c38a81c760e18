package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/conform"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// TestConformThroughPlugin runs the conformance kit with the checks of
// what Grafana will show going through the built plugin: every check
// passes against the reference server, and a server whose points come
// out of order is caught both on the wire and on the panel, by the
// plugin's own notice.
func TestConformThroughPlugin(t *testing.T) {
	run := func(h http.Handler) *conform.Report {
		srv := serve(t, h)
		return conform.Run(context.Background(), conform.Target{URL: srv.URL, Plugin: host, DataSource: dataSource(srv.URL)})
	}
	t.Run("reference", func(t *testing.T) {
		rep := run(refserver.New(refserver.Options{}))
		grafana := 0
		for _, r := range rep.Results {
			if r.Status != conform.Pass && !(r.Group == "auth" && r.Status == conform.Skip) {
				t.Errorf("%s / %s: %s: %s %s", r.Group, r.Check, r.Status, r.Detail, r.Advice)
			}
			if r.Group == "grafana" && r.Status == conform.Pass {
				grafana++
			}
		}
		if grafana < 6 {
			t.Errorf("%d checks through the plugin passed, want every one of at least 6", grafana)
		}
	})
	t.Run("points out of order", func(t *testing.T) {
		ref := refserver.New(refserver.Options{})
		rep := run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/query" {
				ref.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			ref.ServeHTTP(rec, r)
			var items []map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
				w.WriteHeader(rec.Code)
				_, _ = io.Copy(w, bytes.NewReader(rec.Body.Bytes()))
				return
			}
			for _, it := range items {
				if dp, ok := it["datapoints"].([]any); ok {
					slices.Reverse(dp)
				}
			}
			_ = json.NewEncoder(w).Encode(items)
		}))
		var wire, panel bool
		for _, r := range rep.Results {
			wire = wire || strings.HasPrefix(r.Check, "order and duplicates") && r.Status == conform.Warn
			panel = panel || r.Group == "grafana" && strings.HasPrefix(r.Check, "panel") && r.Status != conform.Pass
			if r.Group == "grafana" && strings.HasPrefix(r.Check, "panel") && r.Status != conform.Pass {
				t.Logf("%s: %s: %s", r.Check, r.Status, r.Detail)
			}
		}
		if !wire || !panel {
			t.Errorf("out-of-order points caught on the wire %v, on the panel %v; want both", wire, panel)
		}
	})
}
