package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// TestGrafanaAPI drives the routes the frontend calls (what the browser
// test relies on) through the plugin binary: settings saved with a secret
// come back without it, Save & test, resources and /api/ds/query answer
// as Grafana's server would.
func TestGrafanaAPI(t *testing.T) {
	const token = "browser-secret-token"
	ref := httptest.NewServer(refserver.New(refserver.Options{Token: token}))
	defer ref.Close()
	assets := t.TempDir()
	if err := os.WriteFile(filepath.Join(assets, "module.js"), []byte("define([],function(){})"), 0o644); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(grafanahost.NewAPI(host, grafanahost.DataSource{ID: 7, UID: "ui", Name: "In-house Metrics"}, assets, nil))
	defer api.Close()

	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, api.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(out)
	}

	steps := []struct {
		name, method, path, body string
		status                   int
		contains, absent         string
	}{
		{name: "unknown data source", method: "GET", path: "/api/datasources/uid/other", status: 404, contains: "not found"},
		{name: "health before configuring", method: "GET", path: "/api/datasources/uid/ui/health", status: 400, contains: "URL is not set"},
		// Settings that do not validate reach the page as the reason, not
		// as Grafana's generic message for a failing plugin.
		{name: "metrics resource before configuring", method: "POST", path: "/api/datasources/uid/ui/resources/metrics", body: `{}`, status: 400, contains: "URL is not set"},
		{name: "query before configuring", method: "POST", path: "/api/ds/query",
			body:   `{"from":"` + ms(-time.Hour) + `","to":"` + ms(0) + `","queries":[{"refId":"A","datasource":{"uid":"ui"},"target":"cpu_usage"}]}`,
			status: 207, contains: "URL is not set"},
		{name: "save with a secret", method: "PUT", path: "/api/datasources/uid/ui",
			body:   `{"url":"` + ref.URL + `","jsonData":{"authMethod":"apiKey"},"secureJsonData":{"apiKey":"` + token + `"}}`,
			status: 200, contains: `"apiKey":true`, absent: token},
		{name: "settings hide the secret", method: "GET", path: "/api/datasources/uid/ui", status: 200, contains: `"secureJsonFields":{"apiKey":true}`, absent: token},
		{name: "save without secureJsonData keeps the secret", method: "PUT", path: "/api/datasources/uid/ui",
			body: `{"url":"` + ref.URL + `","jsonData":{"authMethod":"apiKey","timeout":10}}`, status: 200, contains: `"apiKey":true`},
		{name: "health", method: "GET", path: "/api/datasources/uid/ui/health", status: 200, contains: "Data source is working"},
		{name: "metrics resource", method: "POST", path: "/api/datasources/uid/ui/resources/metrics", body: `{}`, status: 200, contains: "requests_per_second"},
		{name: "unknown resource", method: "POST", path: "/api/datasources/uid/ui/resources/nope", body: `{}`, status: 404, contains: "no resource"},
		{name: "query", method: "POST", path: "/api/ds/query",
			body:   `{"from":"` + ms(-time.Hour) + `","to":"` + ms(0) + `","queries":[{"refId":"A","datasource":{"uid":"ui"},"target":"cpu_usage","maxDataPoints":60,"intervalMs":60000}]}`,
			status: 200, contains: `"A":{"status":200,"frames":[`},
		{name: "query with one bad target", method: "POST", path: "/api/ds/query",
			body:   `{"from":"` + ms(-time.Hour) + `","to":"` + ms(0) + `","queries":[{"refId":"A","datasource":{"uid":"ui"},"target":"cpu_usage"},{"refId":"B","datasource":{"uid":"ui"}}]}`,
			status: 207, contains: "no metric selected"},
		{name: "query with epoch strings missing", method: "POST", path: "/api/ds/query", body: `{"queries":[]}`, status: 400, contains: "epoch milliseconds"},
		{name: "reset the secret", method: "PUT", path: "/api/datasources/uid/ui",
			body: `{"url":"` + ref.URL + `","jsonData":{},"secureJsonData":{"apiKey":""}}`, status: 200, contains: `"secureJsonFields":{}`},
		{name: "health after the reset names the 401", method: "GET", path: "/api/datasources/uid/ui/health", status: 400, contains: "401"},
		{name: "plugin assets", method: "GET", path: "/public/plugins/inhouse-metrics-datasource/module.js", status: 200, contains: "define("},
	}
	for _, s := range steps {
		status, body := call(s.method, s.path, s.body)
		if status != s.status || !strings.Contains(body, s.contains) || (s.absent != "" && strings.Contains(body, s.absent)) {
			t.Errorf("%s: %s %s = %d %s; want %d containing %q", s.name, s.method, s.path, status, trim(body), s.status, s.contains)
		}
	}
	if got := api.Config.Handler.(*grafanahost.API).DataSource().Secure; len(got) != 0 {
		t.Errorf("after the reset the stored secrets are %v, want none", keys(got))
	}
}

// ms is a time from now as the epoch milliseconds the frontend sends.
func ms(offset time.Duration) string {
	return strconv.FormatInt(time.Now().Add(offset).UnixMilli(), 10)
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
