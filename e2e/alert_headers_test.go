package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// Every header that reaches the service, for an alert rule's evaluation
// and for a user's query, with and without identity forwarding: the list
// docs/contract.md ("Headers the plugin sends") gives. The names are
// checked as a whole set, so a header the plugin starts or stops sending
// fails here until the document says so.
func TestHeadersAnAlertQuerySends(t *testing.T) {
	svc := &loginService{}
	url := serve(t, svc).URL
	plain := func() grafanahost.DataSource {
		ds := dataSource(url)
		ds.JSONData["httpHeaderName1"] = "X-Team"
		ds.Secure = map[string]string{"apiKey": "svc-APIKEY-66dd77", "httpHeaderValue1": "platform"}
		return ds
	}
	forwarding := func() grafanahost.DataSource {
		ds := forwardingDataSource(url)
		ds.JSONData["httpHeaderName1"] = "X-Team"
		ds.Secure["httpHeaderValue1"] = "platform"
		return ds
	}
	fromAlert := map[string]string{backend.FromAlertHeaderName: "true"}
	// Go's transport adds these to every request; the rest is the plugin's.
	transport := []string{"Accept-Encoding", "Content-Length"}
	always := append([]string{"Accept", "Content-Type", "User-Agent", "X-Team"}, transport...)
	tests := []struct {
		name    string
		ds      grafanahost.DataSource
		caller  *grafanahost.Caller
		headers map[string]string
		extra   []string          // header names beyond always
		values  map[string]string // values to check ("" means absent)
	}{
		{name: "alert rule, no forwarding", ds: plain(), headers: fromAlert,
			extra:  []string{"Authorization", "FromAlert"},
			values: map[string]string{"Authorization": "Bearer svc-APIKEY-66dd77", "FromAlert": "true", "X-Team": "platform"}},
		{name: "alert rule as the scheduler, forwarding on", ds: forwarding(), caller: &grafanahost.Caller{Login: "grafana_scheduler"}, headers: fromAlert,
			extra:  []string{"Authorization", "FromAlert"},
			values: map[string]string{"Authorization": "Bearer svc-APIKEY-66dd77", "FromAlert": "true", "X-Grafana-User": "", "Cookie": ""}},
		{name: "user's panel, no forwarding", ds: plain(), caller: alice,
			extra:  []string{"Authorization"},
			values: map[string]string{"Authorization": "Bearer svc-APIKEY-66dd77", "FromAlert": "", "X-Grafana-User": ""}},
		{name: "user's panel, forwarding on", ds: forwarding(), caller: alice,
			extra: []string{"Authorization", "X-Id-Token", "Cookie", "X-Grafana-User"},
			values: map[string]string{"Authorization": "Bearer alice-TOKEN-11aa22", "X-Id-Token": "alice-IDTOKEN-88ee99",
				"Cookie": "session_id=alice-COOKIE-0f1e2d", "X-Grafana-User": "alice", "FromAlert": ""}},
		{name: "rule editor's preview, forwarding on", ds: forwarding(), caller: alice, headers: fromAlert,
			extra:  []string{"Authorization", "X-Id-Token", "Cookie", "X-Grafana-User", "FromAlert"},
			values: map[string]string{"Authorization": "Bearer alice-TOKEN-11aa22", "X-Grafana-User": "alice", "FromAlert": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := len(svc.calls)
			res, err := host.QueryDataAs(context.Background(), tt.ds, tt.caller, []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}, tt.headers)
			if err != nil {
				t.Fatal(err)
			}
			if r := res.Responses["A"]; r.Error != nil {
				t.Fatalf("query: %v", r.Error)
			}
			if len(svc.calls) != calls+1 {
				t.Fatalf("%d calls reached the service, want 1", len(svc.calls)-calls)
			}
			h := svc.last()
			var want []string
			for _, n := range append(append([]string{}, always...), tt.extra...) {
				// Go writes FromAlert as Fromalert; names are case-insensitive.
				want = append(want, http.CanonicalHeaderKey(n))
			}
			slices.Sort(want)
			if got := names(h); !slices.Equal(got, want) {
				t.Errorf("headers sent: %v\nwant:         %v", got, want)
			}
			for name, v := range tt.values {
				if got := h.Get(name); got != v {
					t.Errorf("%s: %q, want %q", name, got, v)
				}
			}
			// The SDK names the plugin and its version when the binary
			// carries its build info (mage's build does; the test's plain
			// go build does not, and Go's own agent goes out).
			ua := h.Get("User-Agent")
			if !strings.Contains(ua, " inhouse-metrics-datasource/") && !strings.HasPrefix(ua, "Go-http-client/") {
				t.Errorf("User-Agent %q", ua)
			}
			t.Logf("User-Agent: %s", ua)
		})
	}
}

func names(h http.Header) []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
