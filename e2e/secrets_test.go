package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// echoServer fails in every way the plugin reports, and echoes the
// request's headers into every body it sends, as a careless debug server
// would: no secret may come back out of the plugin.
func echoServer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var echo strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&echo, "%s: %s; ", k, strings.Join(r.Header[k], ","))
		}
		body, _ := io.ReadAll(r.Body)
		// The same echo as JSON values, with "/" escaped as some encoders
		// write it, for routes whose answers are decoded, not quoted.
		jsonEcho := strings.ReplaceAll(strings.ReplaceAll(echo.String(), `"`, ""), "/", `\/`)
		switch {
		case r.URL.Path == "/json" || r.URL.Path == "/json/":
			_, _ = io.WriteString(w, "ok")
		case r.URL.Path == "/json/metrics":
			_, _ = io.WriteString(w, `[{"label":"`+jsonEcho+`","value":"m","payloads":[{"name":"`+jsonEcho+`","options":[{"label":"`+jsonEcho+`","value":"`+jsonEcho+`"}]}]}]`)
		case r.URL.Path == "/json/metric-payload-options":
			_, _ = io.WriteString(w, `[{"label":"`+jsonEcho+`","value":"`+jsonEcho+`"}]`)
		case r.URL.Path == "/json/variable":
			_, _ = io.WriteString(w, `[{"__text":"`+jsonEcho+`","__value":"`+jsonEcho+`"}]`)
		case r.URL.Path == "/json/annotations":
			_, _ = io.WriteString(w, `[{"time":1795510800000,"title":"`+jsonEcho+`","text":"`+jsonEcho+`","tags":["`+jsonEcho+`"]}]`)
		case r.URL.Path == "/json/tag-keys":
			_, _ = io.WriteString(w, `[{"type":"string","text":"`+jsonEcho+`"}]`)
		case r.URL.Path == "/json/tag-values":
			_, _ = io.WriteString(w, `["`+jsonEcho+`"]`)
		case r.URL.Path == "/":
			_, _ = io.WriteString(w, "ok "+echo.String())
		case r.URL.Path == "/metrics":
			_, _ = io.WriteString(w, "not json "+echo.String()) // 2xx, not the contract
		case strings.Contains(string(body), "status_500"):
			http.Error(w, "failed "+echo.String(), http.StatusInternalServerError)
		case strings.Contains(string(body), "status_400"):
			http.Error(w, "bad "+echo.String(), http.StatusBadRequest)
		case strings.Contains(string(body), "status_429"):
			w.Header().Set("Retry-After", echo.String())
			http.Error(w, "slow", http.StatusTooManyRequests)
		case strings.Contains(string(body), "bad_json"):
			_, _ = io.WriteString(w, `{"echo": "`+jsonEcho+`"`)
		case strings.Contains(string(body), "straddle"):
			// The quoted part of an error body ends inside the echo.
			http.Error(w, strings.Repeat("x", 185)+echo.String(), http.StatusBadRequest)
		default:
			_, _ = io.WriteString(w, `[{"target":"`+strings.ReplaceAll(echo.String(), `"`, "")+`","datapoints":[[1,1000]]}]`)
		}
	})
}

func TestSecretsNeverLeave(t *testing.T) {
	srv := serve(t, echoServer())
	closed := freeLoopbackAddr() // nothing listens: Go's URL errors quote the URL
	secrets := map[string]string{
		// Saved with a trailing newline, sent trimmed; "/" is escaped in
		// JSON echoes.
		"apiKey":            "api/SECRET-1f2e3d\n",
		"httpHeaderValue1":  "hdr-SECRET-9a8b7c",
		"basicAuthPassword": "pw-SECRET-4d5e6f",
		"URL password":      "url-SECRET-7c8d9e",
		"URL query token":   "qry-SECRET-3b4c5d",
		// What Grafana forwards for the signed-in user.
		"user token":  "usr/SECRET-5e6f7a",
		"ID token":    "idt-SECRET-8b9c0d",
		"kept cookie": "cke-SECRET-1a2b3c",
	}
	user := &grafanahost.Caller{Login: "alice", Token: secrets["user token"], IDToken: secrets["ID token"],
		Cookie: "session_id=" + secrets["kept cookie"]}
	bearer := dataSource(srv.URL)
	bearer.JSONData["httpHeaderName1"] = "X-Tenant-Token"
	bearer.Secure = map[string]string{"apiKey": secrets["apiKey"], "httpHeaderValue1": secrets["httpHeaderValue1"]}
	basic := dataSource(srv.URL)
	basic.BasicAuth, basic.User = true, "grafana"
	basic.Secure = map[string]string{"basicAuthPassword": secrets["basicAuthPassword"]}
	jsonEcho := dataSource(srv.URL + "/json")
	jsonEcho.JSONData["httpHeaderName1"] = "X-Tenant-Token"
	jsonEcho.Secure = bearer.Secure
	inURL := dataSource(strings.Replace(srv.URL, "://", "://svcuser:"+secrets["URL password"]+"@", 1) + "/json?token=" + secrets["URL query token"])
	// Every call forwards the user's identity, through both the service's
	// root and a path (the JSON echoes), with and without the cache.
	forwarded := dataSource(srv.URL + "/json")
	forwarded.JSONData["oauthPassThru"], forwarded.JSONData["sendUserHeader"] = true, true
	forwarded.JSONData["keepCookies"] = []string{"session_id"}
	forwarded.JSONData["cacheTTLSeconds"] = 60
	forwardedRoot := dataSource(srv.URL)
	forwardedRoot.JSONData = forwarded.JSONData
	refused := dataSource("http://svcuser:" + secrets["URL password"] + "@" + closed + "/api?token=" + secrets["URL query token"])

	var out strings.Builder
	for _, ds := range []grafanahost.DataSource{bearer, basic, jsonEcho, inURL, refused, forwarded, forwardedRoot} {
		res, err := host.CheckHealthAs(context.Background(), ds, user)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&out, res.Message)
		var queries []backend.DataQuery
		for _, target := range []string{"status_500", "status_400", "status_429", "bad_json", "straddle", "echoed_target"} {
			queries = append(queries, dq(target, `{"target":"`+target+`"}`))
			// Variable and annotation queries reach the same faults.
			v, a := dq("variable "+target, `{"query":"`+target+`"}`), dq("annotations "+target, `{"query":"`+target+`"}`)
			v.QueryType, a.QueryType = "variable", "annotations"
			queries = append(queries, v, a)
		}
		qr, err := host.QueryDataAs(context.Background(), ds, user, queries, nil)
		if err != nil {
			t.Fatal(err)
		}
		for ref, r := range qr.Responses {
			if r.Error != nil {
				fmt.Fprintln(&out, ref, r.Error)
			}
			for _, f := range r.Frames {
				b, _ := f.MarshalJSON()
				fmt.Fprintln(&out, string(b))
			}
		}
		for _, path := range []string{"metrics", "metric-payload-options", "tag-keys", "tag-values"} {
			rr, err := host.CallResourceAs(context.Background(), ds, user, http.MethodPost, path, []byte(`{"metric":"m","name":"n","key":"k"}`))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&out, string(rr.Body))
		}
	}
	all := out.String() + pluginLogs.String()
	if !strings.Contains(all, "[redacted]") {
		t.Fatalf("the echo server's bodies never reached the output; the test proves nothing:\n%s", all)
	}
	// The log lines of the calls to the service (pkg/telemetry) are among
	// what is checked: an answer's and a refused call's, each with its
	// data source.
	for _, want := range []struct{ msg, uid string }{
		{"the in-house service answered", inURL.UID},
		{"the in-house service answered", forwarded.UID},
		{"the call to the in-house service failed", refused.UID},
	} {
		if !loggedLine(pluginLogs.String(), want.msg, want.uid) {
			t.Errorf("no log line %q for data source %s; the check below does not cover it", want.msg, want.uid)
		}
	}
	for name, s := range secrets {
		s = strings.TrimSpace(s)
		// The whole secret, its JSON-escaped form, and its first 7
		// characters (what survives a quote cut inside it).
		for _, form := range []string{s, strings.ReplaceAll(s, "/", `\/`), s[:7]} {
			if strings.Contains(all, form) {
				t.Errorf("%s leaked as %q: %s", name, form, context_(all, form))
			}
		}
	}
	for name, pair := range map[string]string{"basic auth": "grafana:" + secrets["basicAuthPassword"], "URL user info": "svcuser:" + secrets["URL password"]} {
		if encoded := base64.StdEncoding.EncodeToString([]byte(pair)); strings.Contains(all, encoded) {
			t.Errorf("the encoded %s credentials leaked", name)
		}
	}
}

func context_(all, s string) string {
	i := strings.Index(all, s)
	return all[max(0, i-150):min(len(all), i+40)]
}

// loggedLine tells whether one line of logs holds all of parts.
func loggedLine(logs string, parts ...string) bool {
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
