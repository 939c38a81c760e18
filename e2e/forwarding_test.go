package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// headerService answers every route of the contract and records the
// headers of each call.
type headerService struct {
	mu    sync.Mutex
	calls map[string][]http.Header
}

func (s *headerService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string][]http.Header{}
	}
	s.calls[r.URL.Path] = append(s.calls[r.URL.Path], r.Header.Clone())
	s.mu.Unlock()
	switch r.URL.Path {
	case "/":
		_, _ = io.WriteString(w, "ok")
	case "/metrics":
		_, _ = io.WriteString(w, `[{"label":"m","value":"m"}]`)
	case "/metric-payload-options":
		_, _ = io.WriteString(w, `[{"label":"o","value":"o"}]`)
	case "/tag-keys":
		_, _ = io.WriteString(w, `[{"type":"string","text":"k"}]`)
	case "/tag-values":
		_, _ = io.WriteString(w, `[{"text":"v"}]`)
	default:
		_, _ = io.WriteString(w, `[{"target":"s","datapoints":[[1,1000]]}]`)
	}
}

func (s *headerService) take() map[string][]http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	return out
}

// identityRoute is one way the plugin reaches the service for a user.
type identityRoute struct {
	name, path string
	post       bool
	run        func(ctx context.Context, ds grafanahost.DataSource, c *grafanahost.Caller) error
}

// identityRoutes are every route that forwards the user's identity:
// Save & test, a query, and each resource of the editors.
func identityRoutes() []identityRoute {
	resource := func(path, body string) func(context.Context, grafanahost.DataSource, *grafanahost.Caller) error {
		return func(ctx context.Context, ds grafanahost.DataSource, c *grafanahost.Caller) error {
			rr, err := host.CallResourceAs(ctx, ds, c, http.MethodPost, path, []byte(body))
			if err == nil && rr.Status != http.StatusOK {
				err = fmt.Errorf("%d %s", rr.Status, rr.Body)
			}
			return err
		}
	}
	return []identityRoute{
		{"health", "/", false, func(ctx context.Context, ds grafanahost.DataSource, c *grafanahost.Caller) error {
			res, err := host.CheckHealthAs(ctx, ds, c)
			if err == nil && res.Status != backend.HealthStatusOk {
				err = fmt.Errorf("health: %s", res.Message)
			}
			return err
		}},
		{"query", "/query", true, func(ctx context.Context, ds grafanahost.DataSource, c *grafanahost.Caller) error {
			res, err := host.QueryDataAs(ctx, ds, c, []backend.DataQuery{dq("A", `{"target":"cpu"}`)}, nil)
			if err == nil && res.Responses["A"].Error != nil {
				err = res.Responses["A"].Error
			}
			return err
		}},
		{"metrics", "/metrics", true, resource("metrics", `{}`)},
		{"metric-payload-options", "/metric-payload-options", true, resource("metric-payload-options", `{"metric":"m","name":"p","payload":{}}`)},
		{"tag-keys", "/tag-keys", true, resource("tag-keys", `{}`)},
		{"tag-values", "/tag-values", true, resource("tag-values", `{"key":"k"}`)},
	}
}

// tenantDataSource forwards the user's OAuth identity and session cookie
// and names its tenant in a custom header.
func tenantDataSource(url string) grafanahost.DataSource {
	ds := dataSource(url)
	ds.JSONData["oauthPassThru"] = true
	ds.JSONData["keepCookies"] = []string{"session_id"}
	ds.JSONData["httpHeaderName1"] = "X-Scope-OrgID"
	ds.Secure = map[string]string{"apiKey": "svc-APIKEY-66dd77", "httpHeaderValue1": "team-a"}
	return ds
}

// wantOne checks that a header reached the service with exactly one value.
func wantOne(t *testing.T, where string, h http.Header, name, want string) {
	t.Helper()
	if got := h.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("%s: %s reached the service as %q, want exactly %q", where, name, got, want)
	}
}

// Headers are filtered by name, never by value: before the fix, with
// keepCookies or oauthPassThru on, every header the browser sent with the
// same value as one of ours was deleted (each resource POST lost its
// Content-Type and Accept), and a user who knew the tenant header's value
// could remove it. Other browser headers never reach the service, and the
// data source's own headers win.
func TestForwardedHeadersSurvive(t *testing.T) {
	svc := &headerService{}
	ds := tenantDataSource(serve(t, svc).URL)
	for _, browser := range []struct {
		name    string
		headers map[string][]string
	}{
		{"browser sends our values", map[string][]string{"Content-Type": {"application/json"}, "Accept": {"application/json"}, "X-Scope-Orgid": {"team-a"}}},
		{"browser sends other values", map[string][]string{"Content-Type": {"text/plain"}, "Accept": {"text/html"}, "X-Scope-Orgid": {"team-b"}, "X-Debug": {"1"}}},
	} {
		c := *alice
		c.Headers = browser.headers
		for _, r := range identityRoutes() {
			t.Run(browser.name+"/"+r.name, func(t *testing.T) {
				if err := r.run(context.Background(), ds, &c); err != nil {
					t.Fatal(err)
				}
				calls := svc.take()[r.path]
				if len(calls) == 0 {
					t.Fatalf("no call reached %s", r.path)
				}
				for _, h := range calls {
					if r.post {
						wantOne(t, r.path, h, "Content-Type", "application/json")
					}
					wantOne(t, r.path, h, "Accept", "application/json")
					wantOne(t, r.path, h, "X-Scope-OrgID", "team-a")
					wantOne(t, r.path, h, "Authorization", "Bearer alice-TOKEN-11aa22")
					wantOne(t, r.path, h, "X-Id-Token", "alice-IDTOKEN-88ee99")
					wantOne(t, r.path, h, "Cookie", "session_id=alice-COOKIE-0f1e2d")
					if h.Get("X-Debug") != "" {
						t.Errorf("%s: the browser's X-Debug reached the service", r.path)
					}
				}
			})
		}
	}
}

// A browser can send X-ID-Token itself, and Grafana passes it on to
// resource calls: only Grafana's own ID token is forwarded, one value,
// and only with the OAuth Authorization Grafana forwarded. The callers
// here carry no Token, so the harness adds nothing: each case writes the
// header map as that Grafana version does.
func TestForgedIDTokenNeverReachesTheService(t *testing.T) {
	const forged = "forged-IDT-0123456"
	svc := &headerService{}
	ds := tenantDataSource(serve(t, svc).URL)
	ds.JSONData["cacheTTLSeconds"] = 60
	grafanaAuth := []string{"Bearer alice-TOKEN-11aa22"}
	for _, tc := range []struct {
		name          string
		headers       map[string][]string
		auth, idToken string
	}{
		{"password user, no token forwarded", map[string][]string{"X-Id-Token": {forged}},
			"Bearer svc-APIKEY-66dd77", ""},
		{"OAuth user, newer Grafana (its own under X-ID-Token)", map[string][]string{
			"Authorization": grafanaAuth, "X-ID-Token": {"alice-IDTOKEN-88ee99"}, "X-Id-Token": {forged}},
			grafanaAuth[0], "alice-IDTOKEN-88ee99"},
		{"OAuth user, Grafana 9.3.2 (its own appended)", map[string][]string{
			"Authorization": grafanaAuth, "X-Id-Token": {forged, "alice-IDTOKEN-88ee99"}},
			grafanaAuth[0], "alice-IDTOKEN-88ee99"},
	} {
		for _, r := range identityRoutes() {
			t.Run(tc.name+"/"+r.name, func(t *testing.T) {
				// The SDK merges the spellings in map order: several tries.
				for try := 0; try < 4; try++ {
					c := &grafanahost.Caller{Login: "alice", Cookie: "session_id=alice-COOKIE-0f1e2d", Headers: tc.headers}
					if err := r.run(context.Background(), ds, c); err != nil {
						t.Fatal(err)
					}
				}
				for _, h := range svc.take()[r.path] {
					wantOne(t, r.path, h, "Authorization", tc.auth)
					if tc.idToken == "" {
						if got := h.Values("X-Id-Token"); len(got) != 0 {
							t.Errorf("%s: X-Id-Token %q reached the service without a forwarded OAuth token", r.path, got)
						}
					} else {
						wantOne(t, r.path, h, "X-Id-Token", tc.idToken)
					}
					if strings.Contains(fmt.Sprint(h), forged) {
						t.Errorf("%s: the forged token reached the service: %v", r.path, h)
					}
				}
			})
		}
	}
	// The cache key is Grafana's token's, not the forged one: the same
	// query with another forged value is served from alice's entry.
	q := []backend.DataQuery{dq("C", `{"target":"cached"}`)}
	for _, f := range []string{"forged-one-123456", "forged-two-654321"} {
		c := &grafanahost.Caller{Login: "alice", Headers: map[string][]string{
			"Authorization": grafanaAuth, "X-ID-Token": {"alice-IDTOKEN-88ee99"}, "X-Id-Token": {f}}}
		if _, err := host.QueryDataAs(context.Background(), ds, c, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(svc.take()["/query"]); n != 1 {
		t.Errorf("%d /query calls for one user and one query, want 1: the cache key took the forged ID token", n)
	}
}
