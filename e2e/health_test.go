package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/testsupport"
)

var nextID atomic.Int64

// dataSource returns settings with a fresh id, so each test gets its own
// plugin instance, as separate data sources in Grafana do.
func dataSource(url string) grafanahost.DataSource {
	id := nextID.Add(1)
	return grafanahost.DataSource{
		ID: id, UID: "ds" + string(rune('a'+id%26)) + time.Now().Format("150405.000000000"),
		Name: "In-house Metrics", URL: url, JSONData: map[string]any{},
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

const secretKey = "sk-live-7f3a9c1e5b2d4068"

func TestHealth(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	withToken := serve(t, refserver.New(refserver.Options{Token: secretKey}))
	prefixed := serve(t, http.StripPrefix("/api/grafana/json", refserver.New(refserver.Options{})))
	forbidden := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	failing := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A careless service that echoes the request's headers in its
		// error page: the message must not carry the API key on.
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "database on fire; request had Authorization: "+r.Header.Get("Authorization"))
	}))
	plainOK := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	slow := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	simpleJSON := serve(t, simpleJSONServer())
	redirecting := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/status", http.StatusFound) // same host: followed
			return
		}
		if r.URL.Path == "/status" {
			_, _ = io.WriteString(w, "up")
			return
		}
		refserver.New(refserver.Options{}).ServeHTTP(w, r)
	}))
	htmlRoot := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html><body>Welcome</body></html>")
			return
		}
		refserver.New(refserver.Options{}).ServeHTTP(w, r)
	}))

	tlsSrv := httptest.NewTLSServer(refserver.New(refserver.Options{}))
	t.Cleanup(tlsSrv.Close)
	mtlsSrv := httptest.NewUnstartedServer(refserver.New(refserver.Options{}))
	pool := x509.NewCertPool()
	mtlsSrv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	mtlsSrv.StartTLS()
	t.Cleanup(mtlsSrv.Close)

	tests := []struct {
		name   string
		ds     func() grafanahost.DataSource
		ok     bool
		want   []string
		reject []string // must not appear
	}{
		{name: "working", ds: func() grafanahost.DataSource { return dataSource(ref.URL) }, ok: true, want: []string{"Data source is working", "5 metrics"}},
		{name: "URL with a path", ds: func() grafanahost.DataSource { return dataSource(prefixed.URL + "/api/grafana/json") }, ok: true, want: []string{"working"}},
		{name: "SimpleJSON server without /metrics", ds: func() grafanahost.DataSource { return dataSource(simpleJSON.URL) }, ok: true, want: []string{"working", "3 metrics"}},
		{name: "same-host redirect on health", ds: func() grafanahost.DataSource { return dataSource(redirecting.URL) }, ok: true, want: []string{"working"}},
		{name: "HTML health page", ds: func() grafanahost.DataSource { return dataSource(htmlRoot.URL) }, ok: true, want: []string{"working"}},
		{name: "API key", ds: func() grafanahost.DataSource {
			ds := dataSource(withToken.URL)
			ds.Secure = map[string]string{"apiKey": secretKey}
			return ds
		}, ok: true, want: []string{"working"}},
		{name: "URL not set", ds: func() grafanahost.DataSource { return dataSource("") }, want: []string{"URL is not set"}},
		{name: "URL without scheme", ds: func() grafanahost.DataSource { return dataSource("metrics.internal:8080") }, want: []string{"http://"}},
		{name: "URL with another scheme", ds: func() grafanahost.DataSource { return dataSource("ftp://metrics.internal") }, want: []string{`scheme "ftp"`, "only http and https"}},
		{name: "malformed URL", ds: func() grafanahost.DataSource { return dataSource("http://[::1") }, want: []string{"not a valid URL"}},
		{name: "negative timeout", ds: func() grafanahost.DataSource {
			ds := dataSource(ref.URL)
			ds.JSONData["timeout"] = -5
			return ds
		}, want: []string{"Timeout is -5", "positive"}},
		{name: "DNS failure", ds: func() grafanahost.DataSource { return dataSource("http://no-such-host.invalid:8080") }, want: []string{"cannot resolve", "no-such-host.invalid"}},
		{name: "connection refused", ds: func() grafanahost.DataSource { return dataSource("http://" + freeAddr(t)) }, want: []string{"connection refused", "running"}},
		{name: "TLS unknown authority", ds: func() grafanahost.DataSource { return dataSource(tlsSrv.URL) }, want: []string{"unknown authority", "CA certificate", `"Add self-signed certificate"`, `"Skip TLS certificate validation"`}},
		{name: "TLS with the CA", ds: func() grafanahost.DataSource {
			ds := dataSource(tlsSrv.URL)
			ds.JSONData["tlsAuthWithCACert"] = true
			ds.Secure = map[string]string{"tlsCACert": certPEM(tlsSrv.Certificate())}
			return ds
		}, ok: true, want: []string{"working"}},
		{name: "TLS client certificate missing", ds: func() grafanahost.DataSource {
			ds := dataSource(mtlsSrv.URL)
			ds.JSONData["tlsAuthWithCACert"] = true
			ds.Secure = map[string]string{"tlsCACert": certPEM(mtlsSrv.Certificate())}
			return ds
		}, want: []string{"TLS", "client certificate"}},
		{name: "plain HTTP URL on a TLS server", ds: func() grafanahost.DataSource {
			return dataSource(strings.Replace(tlsSrv.URL, "https://", "http://", 1))
		}, want: []string{"400 Bad Request"}},
		{name: "timeout", ds: func() grafanahost.DataSource {
			ds := dataSource(slow.URL)
			ds.JSONData["timeout"] = 1
			return ds
		}, want: []string{"did not answer within 1s", "Timeout"}},
		{name: "401 wrong API key", ds: func() grafanahost.DataSource {
			ds := dataSource(withToken.URL)
			ds.Secure = map[string]string{"apiKey": "wrong-" + secretKey}
			return ds
		}, want: []string{"401 Unauthorized", "API key"}, reject: []string{secretKey}},
		{name: "401 with no credential configured", ds: func() grafanahost.DataSource { return dataSource(withToken.URL) },
			want: []string{"401 Unauthorized", "no credential was sent", "API key"}, reject: []string{"were rejected"}},
		{name: "401 with a custom header only", ds: func() grafanahost.DataSource {
			ds := dataSource(withToken.URL)
			ds.JSONData["httpHeaderName1"] = "X-Api-Key"
			ds.Secure = map[string]string{"httpHeaderValue1": secretKey}
			return ds
		}, want: []string{"401 Unauthorized", "were rejected"}, reject: []string{"no credential was sent", secretKey}},
		{name: "403", ds: func() grafanahost.DataSource { return dataSource(forbidden.URL) }, want: []string{"403 Forbidden", "not allowed"}},
		{name: "404 wrong base URL", ds: func() grafanahost.DataSource { return dataSource(ref.URL + "/wrong/path") }, want: []string{"404 Not Found", "base URL"}},
		{name: "500 with its body, secrets scrubbed", ds: func() grafanahost.DataSource {
			ds := dataSource(failing.URL)
			ds.Secure = map[string]string{"apiKey": secretKey}
			return ds
		}, want: []string{"500 Internal Server Error", "database on fire", "[redacted]"}, reject: []string{secretKey}},
		{name: "2xx that is not the contract", ds: func() grafanahost.DataSource { return dataSource(plainOK.URL) }, want: []string{"POST /metrics", "not", "contract", `"ok"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := host.CheckHealth(ctx, tt.ds())
			if err != nil {
				t.Fatalf("CheckHealth: %v", err)
			}
			if ok := res.Status == backend.HealthStatusOk; ok != tt.ok {
				t.Fatalf("status %v (%s), want ok=%v", res.Status, res.Message, tt.ok)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Message, w) {
					t.Errorf("message %q does not contain %q", res.Message, w)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(res.Message, r) {
					t.Errorf("message %q contains %q", res.Message, r)
				}
			}
		})
	}
	if strings.Contains(pluginLogs.String(), secretKey) {
		t.Error("the plugin logged the API key")
	}
}

// The test support shared with pkg/plugin's tests, by the names these
// tests use.
var (
	serve            = testsupport.Serve
	simpleJSONServer = testsupport.SimpleJSONServer
	deref            = testsupport.Deref
)
