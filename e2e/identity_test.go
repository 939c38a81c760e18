package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// perUserService authorises every call by the caller's token and answers
// each user with their own series, named after them, as services that
// check the user do. It records what of the user reached it.
type perUserService struct {
	delay time.Duration
	mu    sync.Mutex
	calls []seenCall
}

type seenCall struct{ path, auth, idToken, cookie, user string }

// users maps the tokens the service accepts to the names it answers.
var users = map[string]string{
	"Bearer alice-TOKEN-11aa22": "alice", "Bearer alice-TOKEN-new-33bb": "alice-refreshed",
	"Bearer bob-TOKEN-44cc55": "bob", "Bearer svc-APIKEY-66dd77": "service-account",
}

func (s *perUserService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.calls = append(s.calls, seenCall{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Id-Token"), r.Header.Get("Cookie"), r.Header.Get("X-Grafana-User")})
	s.mu.Unlock()
	name, ok := users[r.Header.Get("Authorization")]
	if !ok {
		http.Error(w, "who are you?", http.StatusUnauthorized)
		return
	}
	time.Sleep(s.delay) // keeps concurrent calls in flight together
	switch r.URL.Path {
	case "/", "/search":
		_, _ = io.WriteString(w, `["`+name+`"]`)
	case "/metrics":
		_, _ = io.WriteString(w, `[{"label":"`+name+`","value":"cpu"}]`)
	case "/variable":
		_, _ = io.WriteString(w, `[{"__text":"`+name+`","__value":"`+name+`"}]`)
	default:
		_, _ = io.WriteString(w, `[{"target":"`+name+`","datapoints":[[1,1000]]}]`)
	}
}

func (s *perUserService) seen(path string) []seenCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seenCall
	for _, c := range s.calls {
		if c.path == path {
			out = append(out, c)
		}
	}
	return out
}

var (
	alice = &grafanahost.Caller{Login: "alice", Token: "alice-TOKEN-11aa22", IDToken: "alice-IDTOKEN-88ee99",
		Cookie: "session_id=alice-COOKIE-0f1e2d; grafana_session=gf-SESSION-abcdef; tracking=xyz"}
	bob = &grafanahost.Caller{Login: "bob", Token: "bob-TOKEN-44cc55", IDToken: "bob-IDTOKEN-77ff66",
		Cookie: "session_id=bob-COOKIE-5a6b7c"}
)

// forwardingDataSource forwards the user's OAuth identity, login and
// session cookie, caches answers for a minute, and has an API key of its
// own for alert rules.
func forwardingDataSource(url string) grafanahost.DataSource {
	ds := dataSource(url)
	ds.JSONData["oauthPassThru"] = true
	ds.JSONData["sendUserHeader"] = true
	ds.JSONData["keepCookies"] = []string{"session_id"}
	ds.JSONData["cacheTTLSeconds"] = 60
	ds.Secure = map[string]string{"apiKey": "svc-APIKEY-66dd77"}
	return ds
}

func seriesName(t *testing.T, res *backend.QueryDataResponse, ref string) string {
	t.Helper()
	r := res.Responses[ref]
	if r.Error != nil || len(r.Frames) == 0 || len(r.Frames[0].Fields) < 2 {
		t.Fatalf("query %s: %v", ref, r.Error)
	}
	if cfg := r.Frames[0].Fields[1].Config; cfg != nil && cfg.DisplayNameFromDS != "" {
		return cfg.DisplayNameFromDS
	}
	return r.Frames[0].Fields[1].Name
}

// Two users asking the same query at the same moment each get their own
// answer, from one call each with their own token; asked again, each is
// served their own cached answer; a refreshed token is a new call; an
// alert rule neither takes nor leaves a user's answer.
func TestEachUserGetsTheirOwnAnswer(t *testing.T) {
	svc := &perUserService{delay: 500 * time.Millisecond}
	ds := forwardingDataSource(serve(t, svc).URL)
	q := []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}
	ask := func(c *grafanahost.Caller, headers map[string]string) string {
		res, err := host.QueryDataAs(context.Background(), ds, c, q, headers)
		if err != nil {
			t.Fatal(err)
		}
		return seriesName(t, res, "A")
	}

	for round, wantCalls := range []int{2, 2} { // the second round is served from the cache
		got := map[string][]string{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			c := []*grafanahost.Caller{alice, bob}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := ask(c, nil)
				mu.Lock()
				got[c.Login] = append(got[c.Login], name)
				mu.Unlock()
			}()
		}
		wg.Wait()
		for login, names := range got {
			for _, n := range names {
				if n != login {
					t.Errorf("round %d: %s was answered %q: another user's answer leaked through the cache or a shared call", round, login, n)
				}
			}
		}
		if n := len(svc.seen("/query")); n != wantCalls {
			t.Errorf("round %d: %d /query calls in all, want %d (one per user, then none)", round, n, wantCalls)
		}
	}
	for _, c := range svc.seen("/query") {
		want := map[string]string{"alice": "alice-IDTOKEN-88ee99", "bob": "bob-IDTOKEN-77ff66"}[c.user]
		if users[c.auth] != c.user || c.idToken != want {
			t.Errorf("the service got %q with X-Id-Token %q for user %q", c.auth, c.idToken, c.user)
		}
		if strings.Contains(c.cookie, "grafana_session") || strings.Contains(c.cookie, "tracking") || !strings.HasPrefix(c.cookie, "session_id="+c.user) {
			t.Errorf("cookies %q reached the service for %s; want only session_id", c.cookie, c.user)
		}
	}

	// Signed in again: the new token is sent, not the cached answer of the old one.
	refreshed := *alice
	refreshed.Token = "alice-TOKEN-new-33bb"
	if got := ask(&refreshed, nil); got != "alice-refreshed" {
		t.Errorf("after a token refresh alice was answered %q, the answer of the stale token", got)
	}

	// An alert rule runs without a user: the data source's API key, no
	// user header, and never a user's cached answer.
	alert := map[string]string{backend.FromAlertHeaderName: "true", "X-Cache-Skip": "true"}
	if got := ask(nil, alert); got != "service-account" {
		t.Errorf("the alert rule was answered %q, want the service account's answer", got)
	}
	calls := svc.seen("/query")
	if last := calls[len(calls)-1]; last.auth != "Bearer svc-APIKEY-66dd77" || last.user != "" || last.idToken != "" || last.cookie != "" {
		t.Errorf("the alert rule sent %+v; want the API key alone", last)
	}
	// ... and the alert's fresh answer does not serve the users after it.
	if got := ask(bob, nil); got != "bob" {
		t.Errorf("after the alert rule bob was answered %q", got)
	}
}

// Save & test, the editors' resources, variables and annotations send the
// user's identity as queries do.
func TestHealthAndResourcesForwardAsQueriesDo(t *testing.T) {
	svc := &perUserService{}
	ds := forwardingDataSource(serve(t, svc).URL)
	health, err := host.CheckHealthAs(context.Background(), ds, alice)
	if err != nil {
		t.Fatal(err)
	}
	if health.Status != backend.HealthStatusOk || !strings.Contains(health.Message, "this test ran with your token") || !strings.Contains(health.Message, "the user's forwarded token wins") {
		t.Errorf("health: %s %q", health.Status, health.Message)
	}
	rr, err := host.CallResourceAs(context.Background(), ds, bob, http.MethodPost, "metrics", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rr.Body), `"bob"`) {
		t.Errorf("metrics resource for bob: %d %s", rr.Status, rr.Body)
	}
	v := dq("V", `{"query":"hosts"}`)
	v.QueryType = "variable"
	res, err := host.QueryDataAs(context.Background(), ds, bob, []backend.DataQuery{v}, nil)
	if err != nil || res.Responses["V"].Error != nil {
		t.Fatalf("variable: %v %v", err, res.Responses["V"].Error)
	}
	for path, want := range map[string]string{"/": "alice", "/metrics": "bob", "/variable": "bob"} {
		found := false
		for _, c := range svc.seen(path) {
			found = found || c.user == want
		}
		if !found {
			t.Errorf("no call to %s for %s", path, want)
		}
	}
	for _, c := range svc.calls {
		if users[c.auth] != c.user || !strings.HasPrefix(c.cookie, "session_id="+c.user) || !strings.HasPrefix(c.idToken, c.user+"-IDTOKEN") {
			t.Errorf("%s for %s sent %+v", c.path, c.user, c)
		}
	}
	// Without a token forwarded (a user who did not sign in with OAuth),
	// Save & test says it used the data source's own credentials.
	health, err = host.CheckHealthAs(context.Background(), ds, &grafanahost.Caller{Login: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(health.Message, "forwarded no OAuth token") {
		t.Errorf("health without a token: %q", health.Message)
	}
}
