package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	query := func(c *Client) error {
		_, err := c.Query(context.Background(), []byte(`{}`), func(io.Reader) error { return nil })
		return c.ExplainNotFound(context.Background(), err)
	}

	c := newClient(t, noQuery.URL, time.Second)
	for range 3 {
		err := query(c)
		if err == nil || !strings.Contains(err.Error(), "POST /query: the service answered 404 Not Found. It answers health (GET "+noQuery.URL+") and lists metrics") ||
			!strings.Contains(err.Error(), "it has no /query endpoint") || strings.Contains(err.Error(), "check that the URL") {
			t.Fatalf("error %v", err)
		}
		if !NotServed(err) || err.(*Error).Status() != 404 {
			t.Errorf("the explained error lost its status: %v", err)
		}
	}
	if n := probes.Load(); n != 1 {
		t.Errorf("%d probes for three 404s, want 1", n)
	}

	if err := query(newClient(t, nothing.URL, time.Second)); err == nil || !strings.Contains(err.Error(), "check that the URL is the base URL") {
		t.Errorf("at a wrong URL: %v", err)
	}
	if err := c.ExplainNotFound(context.Background(), nil); err != nil {
		t.Errorf("nil became %v", err)
	}
}
