package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// A redirect to another host is refused unless the host is allowed, and
// even then no credential follows it.
func TestRedirectToAnotherHost(t *testing.T) {
	var mu sync.Mutex
	var seen http.Header
	other := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		_, _ = io.WriteString(w, `[{"target":"moved","datapoints":[[1,1000]]}]`)
	}))
	otherURL, _ := url.Parse(other.URL)
	// Another name for the same loopback server, so the hosts differ.
	otherHost := "localhost:" + otherURL.Port()
	origin := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+otherHost+"/query", http.StatusTemporaryRedirect)
	}))

	tests := []struct {
		name    string
		allowed any
		basic   bool
		wantErr string
	}{
		{name: "not allowed", wantErr: `add ` + otherHost + ` to "Allowed hosts"`},
		{name: "allowed, as a list", allowed: []string{otherHost}},
		{name: "allowed, as text", allowed: "cdn.internal, " + otherHost},
		{name: "allowed, basic auth", allowed: []string{otherHost}, basic: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := dataSource(origin.URL)
			ds.JSONData["httpHeaderName1"] = "X-Tenant-Token"
			ds.Secure = map[string]string{"apiKey": "key-abc123", "httpHeaderValue1": "tenant-xyz789"}
			if tt.basic {
				ds.BasicAuth, ds.User = true, "grafana"
				ds.Secure = map[string]string{"basicAuthPassword": "pw-123", "httpHeaderValue1": "tenant-xyz789"}
			}
			if tt.allowed != nil {
				ds.JSONData["allowedHosts"] = tt.allowed
			}
			mu.Lock()
			seen = nil
			mu.Unlock()
			res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"x"}`)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Responses["A"]
			if tt.wantErr != "" {
				if r.Error == nil || !strings.Contains(r.Error.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", r.Error, tt.wantErr)
				}
				if seen != nil {
					t.Error("the refused host was called")
				}
				return
			}
			if r.Error != nil {
				t.Fatal(r.Error)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen == nil {
				t.Fatal("the allowed host was not called")
			}
			if seen.Get("Authorization") != "" || seen.Get("X-Tenant-Token") != "" {
				t.Errorf("credentials followed the redirect: %v", seen)
			}
		})
	}
}
