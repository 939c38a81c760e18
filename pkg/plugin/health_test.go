package plugin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func TestCheckHealth(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{Token: "s3cret-key"}))
	// Serves the contract only under its exact path, as some servers do:
	// the URL written with a trailing slash answers 404 to GET.
	exact := serve(t, http.StripPrefix("/api/grafana/json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" {
			r.URL.Path = "/"
		} else if r.URL.Path == "/" {
			http.NotFound(w, r)
			return
		}
		refserver.New(refserver.Options{}).ServeHTTP(w, r)
	})))
	tlsSrv := httptest.NewTLSServer(refserver.New(refserver.Options{}))
	t.Cleanup(tlsSrv.Close)
	// Minimal SimpleJSON servers: /metrics hangs up, or answers an empty
	// 200, and /search lists metrics, one of them with no name.
	minimal := func(metrics func(http.ResponseWriter)) string {
		return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/metrics":
				metrics(w)
			case "/search":
				_, _ = io.WriteString(w, `["", "upload_rate", "download_rate"]`)
			default:
				_, _ = io.WriteString(w, "ok")
			}
		})).URL
	}
	hangsUp := minimal(func(w http.ResponseWriter) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
	})
	emptyMetrics := minimal(func(http.ResponseWriter) {})
	// A SimpleJSON server that names its metrics only for a target such
	// as "*": /search with an empty target lists [""].
	onlyEmptyNames := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			http.NotFound(w, r)
		case "/search":
			_, _ = io.WriteString(w, `[""]`)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})).URL
	tests := []struct {
		name, url, jsonData string
		secure              map[string]string
		ok                  bool
		want                []string
	}{
		{name: "working", url: ref.URL, secure: map[string]string{"apiKey": "s3cret-key"}, ok: true,
			want: []string{"Data source is working: " + ref.URL + " answered and lists 5 metrics"}},
		{name: "wrong key", url: ref.URL, secure: map[string]string{"apiKey": "wrong"}, want: []string{"401", "check the API key"}},
		{name: "trailing slash on an exact-path server", url: exact.URL + "/api/grafana/json/", ok: true,
			want: []string{exact.URL + "/api/grafana/json answered", "The URL as written, " + exact.URL + "/api/grafana/json/, answered 404"}},
		{name: "TLS verification skipped", url: tlsSrv.URL, jsonData: `{"tlsSkipVerify": true}`, ok: true,
			want: []string{"Data source is working", "Warning: TLS certificate verification is off"}},
		{name: "/metrics hangs up: /search", url: hangsUp, ok: true, want: []string{"lists 2 metrics"}},
		{name: "/metrics answers an empty 200: /search", url: emptyMetrics, ok: true, want: []string{"lists 2 metrics"}},
		{name: "/search lists only empty names: passes with a warning", url: onlyEmptyNames, ok: true,
			want: []string{"Data source is working: " + onlyEmptyNames + " answered", "Warning: POST /search lists only metrics without a name (1)", "type the target"}},
		{name: "invalid settings", url: "ftp://metrics.internal", want: []string{"invalid data source settings", "only http and https"}},
		{name: "invalid number setting", url: ref.URL, jsonData: `{"timeout":-1}`, want: []string{"invalid data source settings", "imeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.jsonData == "" {
				tt.jsonData = `{}`
			}
			inst := instance(t, tt.url, tt.jsonData, tt.secure)
			res, err := inst.(backend.CheckHealthHandler).CheckHealth(context.Background(), &backend.CheckHealthRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if (res.Status == backend.HealthStatusOk) != tt.ok {
				t.Errorf("status %v: %s", res.Status, res.Message)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Message, w) {
					t.Errorf("message %q does not say %q", res.Message, w)
				}
			}
			if strings.Contains(res.Message, "s3cret-key") {
				t.Errorf("the message shows the key: %s", res.Message)
			}
		})
	}
}
