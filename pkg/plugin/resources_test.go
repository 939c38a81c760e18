package plugin

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func callResource(t *testing.T, url, method, path, body string) *backend.CallResourceResponse {
	t.Helper()
	inst := instance(t, url, `{}`, nil)
	var got *backend.CallResourceResponse
	err := inst.(backend.CallResourceHandler).CallResource(context.Background(),
		&backend.CallResourceRequest{Method: method, Path: strings.SplitN(path, "?", 2)[0], URL: path, Body: []byte(body)},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCallResource(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	simple := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/search" {
			_, _ = io.WriteString(w, `["upload_rate"]`)
			return
		}
		http.NotFound(w, r)
	}))
	oldOptions := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/options" {
			_, _ = io.WriteString(w, `["a","b"]`)
			return
		}
		http.NotFound(w, r)
	}))
	unsupported := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not implemented", http.StatusNotImplemented)
	}))
	failing := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	// Tag keys and values as the dialects answer them: plain strings.
	plainTags := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/tag-keys" && string(body) == `{}`:
			_, _ = io.WriteString(w, `["host","dc"]`)
		case r.URL.Path == "/tag-values" && string(body) == `{"key":"dc"}`:
			_, _ = io.WriteString(w, `["ams",7]`)
		default:
			http.Error(w, "unexpected "+r.URL.Path+" "+string(body), http.StatusBadRequest)
		}
	}))
	tests := []struct {
		name, url, method, path, body string
		status                        int
		want                          string
	}{
		{"metrics", ref.URL, "POST", "metrics", `{"metric":"","payload":{}}`, 200, `"payloads":[{"label":"Service","name":"service","type":"multi-select"`},
		{"metrics by GET", ref.URL, "GET", "/metrics/", ``, 200, `"value":"cpu_usage"`},
		{"metrics via /search", simple.URL, "POST", "metrics", ``, 200, `{"label":"upload_rate","value":"upload_rate","payloads":[]}`},
		{"payload options", ref.URL, "POST", "metric-payload-options", `{"metric":"cpu_usage","name":"region","payload":{}}`, 200, `[{"label":"eu-west","value":"eu-west"},{"label":"us-east","value":"us-east"}]`},
		{"payload options via /options", oldOptions.URL, "POST", "metric-payload-options", `{"metric":"m","name":"n"}`, 200, `[{"label":"a","value":"a"},{"label":"b","value":"b"}]`},
		{"payload options not supported (501)", unsupported.URL, "POST", "metric-payload-options", `{"metric":"m","name":"n"}`, 200, `[]`},
		{"payload options without name", ref.URL, "POST", "metric-payload-options", `{"metric":"m"}`, 400, `\"metric\" and \"name\" are required`},
		{"payload options, malformed body", ref.URL, "POST", "metric-payload-options", `[`, 400, `not the expected JSON`},
		{"service failing: 502 from the plugin, naming the 503", failing.URL, "POST", "metrics", ``, 502, `503 Service Unavailable`},
		{"tag keys", ref.URL, "POST", "tag-keys", ``, 200, `[{"text":"service","value":"service"},{"text":"region","value":"region"}]`},
		{"tag keys as strings", plainTags.URL, "POST", "tag-keys", ``, 200, `[{"text":"host","value":"host"},{"text":"dc","value":"dc"}]`},
		{"tag keys: SimpleJSON (404) has none", simple.URL, "POST", "tag-keys", ``, 200, `[]`},
		{"tag keys: not supported (501)", unsupported.URL, "POST", "tag-keys", ``, 200, `[]`},
		{"tag keys: service failing", failing.URL, "POST", "tag-keys", ``, 502, `POST /tag-keys: the service failed with 503`},
		{"tag values", ref.URL, "POST", "tag-values", `{"key":"region"}`, 200, `[{"text":"eu-west","value":"eu-west"},{"text":"us-east","value":"us-east"}]`},
		{"tag values as strings and numbers", plainTags.URL, "POST", "tag-values", `{"key":"dc"}`, 200, `[{"text":"ams","value":"ams"},{"text":"7","value":"7"}]`},
		{"tag values: SimpleJSON (404) has none", simple.URL, "POST", "tag-values", `{"key":"dc"}`, 200, `[]`},
		{"tag values by GET: the query string", ref.URL, "GET", "tag-values?key=region", ``, 200, `[{"text":"eu-west","value":"eu-west"},{"text":"us-east","value":"us-east"}]`},
		{"payload options by GET: the query string, payload as JSON", oldOptions.URL, "GET", "metric-payload-options?metric=m&name=n&payload=%7B%22a%22%3A1%7D", ``, 200, `[{"label":"a","value":"a"},{"label":"b","value":"b"}]`},
		{"payload options by GET without name", ref.URL, "GET", "metric-payload-options?metric=m", ``, 400, `\"metric\" and \"name\" are required`},
		{"tag values by GET without a key", ref.URL, "GET", "tag-values?region=x", ``, 400, `\"key\" is required`},
		{"tag values by GET, a malformed query string", ref.URL, "GET", "tag-values?key=%zz", ``, 400, `the request URL cannot be read`},
		{"tag values without a key", ref.URL, "POST", "tag-values", `{}`, 400, `\"key\" is required`},
		{"tag values, malformed body", ref.URL, "POST", "tag-values", `{"key":`, 400, `not the expected JSON`},
		{"unknown resource", ref.URL, "POST", "nope", ``, 404, `no resource \"nope\": this data source serves \"metrics\", \"metric-payload-options\", \"tag-keys\" and \"tag-values\"`},
		{"wrong method", ref.URL, "DELETE", "metrics", ``, 405, `accepts POST`},
		{"malformed body", ref.URL, "POST", "metrics", `{`, 400, `not the expected JSON`},
		{"invalid settings", "ftp://metrics.internal", "POST", "metrics", ``, 400, `only http and https`},
		{"oversized body", ref.URL, "POST", "metrics", `{"metric":"` + strings.Repeat("x", 70<<10) + `"}`, 413, `limit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := callResource(t, tt.url, tt.method, tt.path, tt.body)
			if res.Status != tt.status || !strings.Contains(string(res.Body), tt.want) {
				t.Fatalf("got %d %s, want %d with %s", res.Status, res.Body, tt.status, tt.want)
			}
			if ct := res.Headers["Content-Type"]; len(ct) != 1 || ct[0] != "application/json" {
				t.Errorf("Content-Type %v", ct)
			}
		})
	}
}

// A service that echoes our headers into metric labels, payload
// definitions and options hands nothing to the browser: every string of
// every resource answer is scrubbed, in every form the secret can take.
func TestResourceAnswersAreScrubbed(t *testing.T) {
	echo := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, team := r.Header.Get("Authorization"), r.Header.Get("X-Team")
		esc := strings.ReplaceAll(auth, "/", `\/`)
		switch r.URL.Path {
		case "/metrics":
			_, _ = io.WriteString(w, `[{"label":"`+auth+`","value":"m `+team+`","payloads":[{"name":"`+esc+`","label":"l","options":[{"label":"`+team+`","value":"`+auth+`"}]}]}]`)
		case "/metric-payload-options":
			_, _ = io.WriteString(w, `[{"label":"`+esc+`","value":"`+team+`"}]`)
		case "/tag-keys":
			_, _ = io.WriteString(w, `[{"type":"string","text":"`+esc+`"}]`)
		case "/tag-values":
			_, _ = io.WriteString(w, `["`+team+`", {"text":"`+auth+`"}]`)
		}
	}))
	inst := instance(t, echo.URL, `{"httpHeaderName1":"X-Team"}`, map[string]string{"apiKey": "k3y/SECRET", "httpHeaderValue1": "team-secret"})
	for _, path := range []string{"metrics", "metric-payload-options", "tag-keys", "tag-values"} {
		var got *backend.CallResourceResponse
		err := inst.(backend.CallResourceHandler).CallResource(context.Background(),
			&backend.CallResourceRequest{Method: "POST", Path: path, Body: []byte(`{"metric":"m","name":"n","key":"k"}`)},
			backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
		if err != nil || got.Status != 200 {
			t.Fatalf("%s: %v %v", path, err, got)
		}
		for _, secret := range []string{"SECRET", "k3y", "team-secret"} {
			if strings.Contains(string(got.Body), secret) {
				t.Errorf("%s answer holds %q: %s", path, secret, got.Body)
			}
		}
		if !strings.Contains(string(got.Body), "[redacted]") {
			t.Errorf("%s answer shows no redaction: %s", path, got.Body)
		}
	}
}

// The tag routes pass the dashboard's range and its other ad hoc filters
// on to the service, as simPod's data source posts them; the range goes
// out in the contract's time format. A caller that sends neither sends
// the bodies of before.
func TestTagRoutesPassRangeAndFilters(t *testing.T) {
	var mu sync.Mutex
	var received []string
	rec := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, r.URL.Path+" "+string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, `[]`)
	}))
	const rng = `"range":{"from":"2026-11-24T11:00:00Z","to":"2026-11-24T12:00:00.5Z","raw":{"from":"now-1h","to":"now"}}`
	const sentRange = `"range":{"from":"2026-11-24T11:00:00.000Z","to":"2026-11-24T12:00:00.500Z","raw":{"from":"now-1h","to":"now"}}`
	const filters = `"adhocFilters":[{"key":"service","operator":"=","value":"checkout"}]`
	tests := []struct {
		name, method, path, body, want string
	}{
		{"tag keys", "POST", "tag-keys", `{` + rng + `,` + filters + `}`, `/tag-keys {` + sentRange + `,` + filters + `}`},
		{"tag values", "POST", "tag-values", `{"key":"region",` + rng + `,` + filters + `}`, `/tag-values {"key":"region",` + sentRange + `,` + filters + `}`},
		{"tag values by GET", "GET", `tag-values?key=region&adhocFilters=` + url.QueryEscape(`[{"key":"service","operator":"=","value":"checkout"}]`), ``, `/tag-values {"key":"region",` + filters + `}`},
		{"tag keys without either", "POST", "tag-keys", ``, `/tag-keys {}`},
		{"tag values without either", "POST", "tag-values", `{"key":"region"}`, `/tag-values {"key":"region"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			received = nil
			mu.Unlock()
			if res := callResource(t, rec.URL, tt.method, tt.path, tt.body); res.Status != 200 {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(received) != 1 || received[0] != tt.want {
				t.Errorf("the service received %q, want %q", received, tt.want)
			}
		})
	}
}
