package pipeline

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
)

// When every caller of a shared call has given up, the call to the
// service is canceled, and the next caller starts a fresh one.
func TestSharedCallEndsWithItsLastWaiter(t *testing.T) {
	arrived := make(chan struct{}, 4)
	canceled := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read to the end, so the server watches the connection and
		// cancels r.Context() when the plugin hangs up.
		_, _ = io.ReadAll(r.Body)
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
			canceled <- struct{}{}
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	p := newPipeline(t, srv.URL, `{}`, nil)
	q := parse(t, `{"target":"up"}`)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := p.Query(ctx, q, false); !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want canceled", err)
			}
		})
	}
	<-arrived
	time.Sleep(50 * time.Millisecond) // the other two join the call
	cancel()
	wg.Wait()
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("the service's request was not canceled when every caller had gone")
	}
	if len(arrived) != 0 {
		t.Errorf("%d extra calls: the callers did not share one", len(arrived))
	}
}

// A panic while reading the answer is that query's error, on the shared
// goroutine where nothing else would recover it, and every waiter gets it.
func TestPanicInTheSharedCallIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		_, _ = io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	p := newPipeline(t, srv.URL, `{}`, map[string]string{"apiKey": "panic-secret"})
	p.decode = func(context.Context, io.Reader, int) (*frames.Answer, error) { panic("decoder bug near panic-secret") }
	q := parse(t, `{"target":"up"}`)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			_, err := p.Query(context.Background(), q, false)
			if err == nil || !strings.Contains(err.Error(), "bug in the plugin") || strings.Contains(err.Error(), "panic-secret") {
				t.Errorf("error %v", err)
			}
		})
	}
	wg.Wait()
}
