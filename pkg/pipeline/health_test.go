package pipeline

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// A 404 on /query from a service that passes Save & test says the service
// lacks the endpoint; at a wrong URL it still says to check the URL. One
// probe serves every 404 for a while.
func TestExplainNotFound(t *testing.T) {
	var probes atomic.Int64
	noQuery := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			probes.Add(1)
			_, _ = io.WriteString(w, "ok")
		case contract.PathSearch:
			_, _ = io.WriteString(w, `["a"]`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer noQuery.Close()
	nothing := httptest.NewServer(http.NotFoundHandler())
	defer nothing.Close()
	query := func(p *Pipeline) error {
		_, err := p.client.Post(context.Background(), contract.PathQuery, []byte(`{}`), func(io.Reader) error { return nil })
		return p.ExplainNotFound(context.Background(), err)
	}

	c := listPipeline(t, noQuery.URL, time.Second)
	for range 3 {
		err := query(c)
		if err == nil || !strings.Contains(err.Error(), "POST /query: the service answered 404 Not Found. It answers health (GET "+noQuery.URL+") and lists metrics") ||
			!strings.Contains(err.Error(), "it has no /query endpoint") || strings.Contains(err.Error(), "check that the URL") {
			t.Fatalf("error %v", err)
		}
		if st, ok := ServiceStatus(err); !notServed(err) || !ok || st != 404 {
			t.Errorf("the explained error lost its status: %v", err)
		}
	}
	if n := probes.Load(); n != 1 {
		t.Errorf("%d probes for three 404s, want 1", n)
	}

	if err := query(listPipeline(t, nothing.URL, time.Second)); err == nil || !strings.Contains(err.Error(), "check that the URL is the base URL") {
		t.Errorf("at a wrong URL: %v", err)
	}
	if err := c.ExplainNotFound(context.Background(), nil); err != nil {
		t.Errorf("nil became %v", err)
	}
}

// Save & test passes when only the other form of the URL (with or without
// a trailing slash) is served, and says which one answered.
func TestHealthTriesTheOtherFormOnNotFound(t *testing.T) {
	tests := []struct {
		name, serves, base string
		wantAnswered       string // path; "" means the error is expected
	}{
		{name: "as written", serves: "/api/json", base: "/api/json", wantAnswered: "/api/json"},
		{name: "slash written, exact path served", serves: "/api/json", base: "/api/json/", wantAnswered: "/api/json"},
		{name: "no slash written, slash served", serves: "/api/json/", base: "/api/json", wantAnswered: "/api/json/"},
		{name: "neither served", serves: "/other", base: "/api/json/"},
		{name: "bare host has no other form", serves: "/other", base: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tt.serves {
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			answered, err := listPipeline(t, srv.URL+tt.base, time.Second).Health(context.Background())
			if tt.wantAnswered == "" {
				if client.StatusOf(err) != http.StatusNotFound {
					t.Fatalf("error %v, want the 404 of the URL as written", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if answered != srv.URL+tt.wantAnswered {
				t.Errorf("answered %s, want %s", answered, srv.URL+tt.wantAnswered)
			}
		})
	}
}
