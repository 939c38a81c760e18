package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/secrets"
)

func newClient(t *testing.T, url string, timeout time.Duration) *Client {
	t.Helper()
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{URL: url, JSONData: json.RawMessage(`{}`)}, models.DefaultOperator())
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = timeout
	c, err := New(s, httpclient.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetBackoff([]time.Duration{time.Millisecond, time.Millisecond})
	t.Cleanup(c.Close)
	return c
}

// Reads are retried on statuses that mean "try later", never on other
// 4xx, and never past the timeout.
func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int // answered in turn; the last repeats
		header    string
		wantCalls int64
		wantErr   int // status of the final error, 0 for success
	}{
		{name: "502 then ok", statuses: []int{502, 200}, wantCalls: 2},
		{name: "503 twice then ok", statuses: []int{503, 503, 200}, wantCalls: 3},
		{name: "503 always: gives up after two retries", statuses: []int{503}, wantCalls: 3, wantErr: 503},
		{name: "400 is not retried", statuses: []int{400, 200}, wantCalls: 1, wantErr: 400},
		{name: "404 is not retried", statuses: []int{404, 200}, wantCalls: 1, wantErr: 404},
		{name: "500 is not retried", statuses: []int{500, 200}, wantCalls: 1, wantErr: 500},
		{name: "429 whose Retry-After passes the timeout is not waited for", statuses: []int{429, 200}, header: "120", wantCalls: 1, wantErr: 429},
		{name: "429 with a short Retry-After", statuses: []int{429, 200}, header: "0", wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				status := tt.statuses[min(n, len(tt.statuses)-1)]
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`[]`))
			}))
			defer srv.Close()
			c := newClient(t, srv.URL, 2*time.Second)
			_, err := c.Query(context.Background(), []byte(`{}`), func(io.Reader) error { return nil })
			var ce *Error
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("error: %v", err)
			case tt.wantErr != 0 && (!errors.As(err, &ce) || ce.StatusCode != tt.wantErr):
				t.Fatalf("error %v, want status %d", err, tt.wantErr)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

// Every call keeps the base URL's path prefix and query string, drops one
// trailing slash, and reports the URL the service received, with its
// query values redacted.
func TestQueryCallsTheURLItReports(t *testing.T) {
	tests := []struct {
		name, base, wantRequest string
	}{
		{name: "bare host", base: "", wantRequest: "/query"},
		{name: "path prefix", base: "/api/grafana/json", wantRequest: "/api/grafana/json/query"},
		{name: "trailing slash", base: "/api/", wantRequest: "/api/query"},
		{name: "query string", base: "/api?tenant=x", wantRequest: "/api/query?tenant=x"},
		{name: "trailing slash and query string", base: "/api/?tenant=x&b=2", wantRequest: "/api/query?tenant=x&b=2"},
		{name: "escaped path", base: "/a%2Fb/", wantRequest: "/a%2Fb/query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.URL.RequestURI()
				_, _ = w.Write([]byte(`[]`))
			}))
			defer srv.Close()
			called, err := newClient(t, srv.URL+tt.base, time.Second).Query(context.Background(), []byte(`{}`), func(io.Reader) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.wantRequest {
				t.Errorf("the service received %s, want %s", got, tt.wantRequest)
			}
			// Query values may be tokens: the report names their keys only.
			if want := secrets.RedactURL(srv.URL + got); called != want {
				t.Errorf("reported %s, want %s (the service received %s%s)", called, want, srv.URL, got)
			}
		})
	}
}

// A redirect from https to plain http is refused before anything is sent,
// even on the same host and port: the credentials would cross in clear.
func TestHTTPSDowngradeIsRefused(t *testing.T) {
	var plainAuth atomic.Value
	plainAuth.Store("")
	var addr string
	addr = dualServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			plainAuth.Store(r.Header.Get("Authorization") + r.Header.Get("X-Team"))
			_, _ = w.Write([]byte(`[]`))
			return
		}
		http.Redirect(w, r, "http://"+addr+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	c := newClientWith(t, "https://"+addr, `{"httpHeaderName1":"X-Team","allowedHosts":["`+addr+`"]}`,
		map[string]string{"apiKey": "s3cret-key", "httpHeaderValue1": "team-secret"})
	_, err := c.Query(context.Background(), []byte(`{}`), func(io.Reader) error { return nil })
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != KindRedirect || !strings.Contains(err.Error(), "never follows a redirect that leaves https") {
		t.Fatalf("error %v, want the downgrade refused", err)
	}
	if leaked := plainAuth.Load().(string); leaked != "" {
		t.Errorf("credentials reached the plain http listener: %q", leaked)
	}
}

// Go's own URL errors quote the URL; what reaches the message has no user
// info and no query value.
func TestTransportErrorsNeverQuoteTheURL(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	for _, raw := range []string{"http://svcuser:PASSWORD-1@" + addr + "/api?token=TOKEN-12345", "http://" + addr + "/api?token=TOKEN-12345"} {
		c := newClientWith(t, raw, `{}`, nil)
		_, err := c.Query(context.Background(), []byte(`{}`), func(io.Reader) error { return nil })
		if err == nil {
			t.Fatal("no error")
		}
		for e := error(err); e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), "PASSWORD-1") || strings.Contains(e.Error(), "TOKEN-12345") {
				t.Errorf("%T in the chain says %q", e, e.Error())
			}
		}
	}
}

// An echoed key that straddles the 200 bytes an error quotes is scrubbed
// before the cut, so not even its start leaks.
func TestErrorQuotesAreScrubbedBeforeTheCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, strings.Repeat("x", 190)+r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	c := newClientWith(t, srv.URL, `{}`, map[string]string{"apiKey": "ABCDEFGHIJKLMNOP"})
	_, err := c.Query(context.Background(), []byte(`{}`), func(io.Reader) error { return nil })
	if err == nil || strings.Contains(err.Error(), "ABCD") {
		t.Errorf("error %v", err)
	}
	if !strings.Contains(err.Error(), "Bearer [re") {
		t.Errorf("error %v does not show the scrubbed echo", err)
	}
}

// Allowed hosts match an IPv6 host written with or without brackets.
func TestAllowedHostsIPv6(t *testing.T) {
	for _, entry := range []string{"::1", "[::1]", "[::1]:8080"} {
		c := newClientWith(t, "http://127.0.0.1:1", `{"allowedHosts":["`+entry+`"]}`, nil)
		u, _ := url.Parse("http://[::1]:8080/query")
		if !c.allowedHost(u) {
			t.Errorf("entry %q does not allow %s", entry, u.Host)
		}
	}
}
