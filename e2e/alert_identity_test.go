package e2e

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// loginService answers each call with a series named after who asked: the
// login in X-Grafana-User, else the bearer token's owner, as a service
// that trusts Grafana's user header does. It records what reached it.
type loginService struct {
	mu    sync.Mutex
	calls []http.Header
}

func (s *loginService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.calls = append(s.calls, r.Header.Clone())
	s.mu.Unlock()
	name := r.Header.Get("X-Grafana-User")
	if name == "" {
		name = users[r.Header.Get("Authorization")]
	}
	if name == "" {
		http.Error(w, "who are you?", http.StatusUnauthorized)
		return
	}
	_, _ = io.WriteString(w, `[{"target":"`+name+`","datapoints":[[1,1000]]}]`)
}

func (s *loginService) last() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[len(s.calls)-1]
}

// Grafana copies FromAlert from any /api/ds/query request, and the rule
// editor's preview sends it: a request with a user keeps that user's
// identity and cache whatever the header says. Only a request without a
// user (Grafana 9.x alert rules) or with Grafana's scheduler as its user
// (newer versions) is an alert rule's evaluation, which sends the data
// source's own credentials. Before the fix alice, adding the header, got
// the alert rule's cached answer and the service account's view.
func TestFromAlertKeepsTheUsersIdentity(t *testing.T) {
	svc := &loginService{}
	ds := forwardingDataSource(serve(t, svc).URL)
	q := []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}
	fromAlert := map[string]string{backend.FromAlertHeaderName: "true"}
	scheduler := &grafanahost.Caller{Login: "grafana_scheduler"}
	ask := func(c *grafanahost.Caller, headers map[string]string, q []backend.DataQuery) backend.DataResponse {
		t.Helper()
		res, err := host.QueryDataAs(context.Background(), ds, c, q, headers)
		if err != nil {
			t.Fatal(err)
		}
		return res.Responses[q[0].RefID]
	}
	name := func(r backend.DataResponse) string {
		t.Helper()
		return seriesName(t, &backend.QueryDataResponse{Responses: backend.Responses{"A": r}}, "A")
	}

	// The alert rules run first and leave their answer in the cache.
	for _, rule := range []struct {
		who string
		c   *grafanahost.Caller
	}{{"no user (Grafana 9.x)", nil}, {"the scheduler (newer Grafana)", scheduler}} {
		if got := name(ask(rule.c, fromAlert, q)); got != "service-account" {
			t.Errorf("alert rule, %s: answered %q, want the data source's credentials (service-account)", rule.who, got)
		}
		if h := svc.last(); len(svc.calls) > 0 && (h.Get("Authorization") != "Bearer svc-APIKEY-66dd77" || h.Get("X-Grafana-User") != "" || h.Get("Cookie") != "") {
			t.Errorf("alert rule, %s sent %v; want the API key alone", rule.who, h)
		}
	}

	for _, tc := range []struct {
		name string
		c    *grafanahost.Caller
		want string
	}{
		{"a password user with FromAlert", &grafanahost.Caller{Login: "dave"}, "dave"},
		{"a password user with a kept cookie and FromAlert", &grafanahost.Caller{Login: "carol", Cookie: "session_id=carol-COOKIE-123456"}, "carol"},
		{"an OAuth user with FromAlert", alice, "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := len(svc.calls)
			if got := name(ask(tc.c, fromAlert, q)); got != tc.want {
				t.Errorf("answered %q, want %q: the FromAlert header took the user's identity or served the alert rule's cached answer", got, tc.want)
			}
			if len(svc.calls) != calls+1 {
				t.Fatalf("%d calls to the service, want 1: the user was served from another identity's cache entry", len(svc.calls)-calls)
			}
			h := svc.last()
			if h.Get("X-Grafana-User") != tc.want {
				t.Errorf("sent X-Grafana-User %q, want %q", h.Get("X-Grafana-User"), tc.want)
			}
			if tc.c.Token != "" && h.Get("Authorization") != "Bearer "+tc.c.Token {
				t.Errorf("sent Authorization %q, want the user's token", h.Get("Authorization"))
			}
		})
	}

	// The preview still gets the rule's frames: a table query is refused
	// as it is in the rule itself, but for alice, not for the rule.
	table := []backend.DataQuery{dq("T", `{"target":"cpu_usage","format":"table"}`)}
	if r := ask(alice, fromAlert, table); r.Error == nil {
		t.Errorf("a table query with FromAlert answered %d frames; the preview must show what the rule would evaluate", len(r.Frames))
	}
}
