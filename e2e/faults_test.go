package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// faultServer answers /query for target "ok" from the reference server
// and injects a fault for every other target, chosen by the target name.
func faultServer(t *testing.T, other string) http.Handler {
	ref := refserver.New(refserver.Options{})
	var flaky atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		target := ""
		if i := strings.Index(string(body), `"target":"`); i >= 0 {
			rest := string(body)[i+len(`"target":"`):]
			target = rest[:strings.IndexByte(rest, '"')]
		}
		switch target {
		case "cpu_usage":
			ref.ServeHTTP(w, r)
		case "slow_drip":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `[{"target":"x","datapoints":[`)
			w.(http.Flusher).Flush()
			for i := 0; i < 100; i++ {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				_, _ = io.WriteString(w, "[1,1000],")
				w.(http.Flusher).Flush()
			}
		case "reset_mid_body":
			hj, _ := w.(http.Hijacker)
			conn, buf, _ := hj.Hijack()
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[{\"target\":\"x\",\"datapoints\":[[1,1000],")
			_ = buf.Flush()
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST, not FIN
			}
			_ = conn.Close()
		case "rate_limited":
			w.Header().Set("Retry-After", "120")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "flaky_502":
			// Fails once, then answers: a retry hides the blip.
			if flaky.Add(1) == 1 {
				http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
				return
			}
			_, _ = io.WriteString(w, `[{"target":"x","datapoints":[[1,1000]]}]`)
		case "always_503":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"maintenance"}`)
		case "invalid_json":
			_, _ = io.WriteString(w, `[{"target":"x","datapoints":[[1,1000]}]`)
		case "truncated":
			_, _ = io.WriteString(w, `[{"target":"x","datapoints":[[1,1000],[2,`)
		case "wrong_shape":
			_, _ = io.WriteString(w, `{"data":{"result":[]}}`)
		case "wrong_types":
			_, _ = io.WriteString(w, `[{"target":"x","datapoints":[[{"v":1},1000]]}]`)
		case "odd_values":
			_, _ = io.WriteString(w, `[{"target":"x","datapoints":[["NaN",3000],[null,1000],["Infinity",2000],[4,2000]]}]`)
		case "too_large":
			_, _ = io.WriteString(w, `[{"target":"x","datapoints":[`)
			for i := 0; i < 200000; i++ {
				_, _ = io.WriteString(w, "[1.23456789,1700000000000],")
			}
			_, _ = io.WriteString(w, "[1,1]]}]")
		case "redirect_away":
			http.Redirect(w, r, other+"/query", http.StatusTemporaryRedirect)
		case "html_500":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "<html><h1>Internal Server Error</h1></html>")
		default:
			http.NotFound(w, r)
		}
	})
}

func TestServiceFaults(t *testing.T) {
	elsewhere := serve(t, refserver.New(refserver.Options{}))
	srv := serve(t, faultServer(t, elsewhere.URL))
	ds := dataSource(srv.URL)
	ds.JSONData["timeout"] = 2
	ds.JSONData["maxResponseMB"] = 1

	tests := []struct {
		target string
		status backend.Status
		want   []string
	}{
		{"slow_drip", backend.StatusTimeout, []string{"did not answer within 2s"}},
		{"reset_mid_body", backend.StatusBadGateway, []string{"closed the connection"}},
		{"rate_limited", backend.StatusTooManyRequests, []string{"429", "Retry-After: 120"}},
		{"always_503", backend.StatusBadGateway, []string{"503 Service Unavailable", "maintenance"}},
		{"html_500", backend.StatusBadGateway, []string{"500 Internal Server Error", "<html>"}},
		{"invalid_json", backend.StatusBadGateway, []string{"does not follow", "point 1: want [value, unixMillis]"}},
		{"truncated", backend.StatusBadGateway, []string{"truncated"}},
		{"wrong_shape", backend.StatusBadGateway, []string{"not a JSON array"}},
		{"wrong_types", backend.StatusBadGateway, []string{"point 0: value: want a number, got an object"}},
		{"too_large", backend.StatusBadGateway, []string{"larger than the 1 MB limit", "Maximum response size"}},
		{"redirect_away", backend.StatusBadGateway, []string{"redirected", "other hosts are refused"}},
	}
	queries := []backend.DataQuery{dq("OK", `{"target":"cpu_usage"}`), dq("FLAKY", `{"target":"flaky_502"}`), dq("ODD", `{"target":"odd_values"}`)}
	for _, tt := range tests {
		queries = append(queries, dq(tt.target, `{"target":"`+tt.target+`"}`))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := host.QueryData(ctx, ds, queries, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			r := res.Responses[tt.target]
			if r.Error == nil {
				t.Fatalf("no error; frames %v", r.Frames)
			}
			if r.Status != tt.status || r.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("status %d source %q, want %d downstream (%v)", r.Status, r.ErrorSource, tt.status, r.Error)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Error.Error(), w) {
					t.Errorf("error %q does not mention %q", r.Error, w)
				}
			}
		})
	}
	for _, ref := range []string{"OK", "FLAKY", "ODD"} {
		if r := res.Responses[ref]; r.Error != nil || len(r.Frames) == 0 {
			t.Errorf("%s: a fault in other queries broke this one: %v", ref, r.Error)
		}
	}
	odd := res.Responses["ODD"].Frames[0]
	if odd.Fields[0].Len() != 4 || len(odd.Meta.Notices) != 2 {
		t.Errorf("odd values: %d points, notices %v", odd.Fields[0].Len(), odd.Meta.Notices)
	}

	// The plugin is still up and answers the next request normally.
	if host.Exited() {
		t.Fatal("the plugin process exited")
	}
	res, err = host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}, nil)
	if err != nil || res.Responses["A"].Error != nil {
		t.Fatalf("next request: %v %v", err, res.Responses["A"].Error)
	}
}
