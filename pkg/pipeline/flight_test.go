package pipeline

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
	waitForWaiters(t, &p.inflight, 3) // the other two join the call
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

// waitForWaiters waits until one call in flight has n waiters.
func waitForWaiters(t *testing.T, f *flights, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
		f.mu.Lock()
		for _, fl := range f.m {
			if fl.waiters == n {
				f.mu.Unlock()
				return
			}
		}
		f.mu.Unlock()
	}
	t.Fatalf("no call in flight reached %d waiters", n)
}

// The shared call runs once for overlapping callers, ends (canceled) with
// its last waiter, and is bounded by its own timeout whatever the callers'
// contexts allow: run in a synctest bubble, so the minute passes at once.
func TestFlights(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f flights
		var calls atomic.Int64
		canceled := make(chan struct{})
		fn := func(ctx context.Context) (*Result, error) {
			calls.Add(1)
			<-ctx.Done()
			close(canceled)
			return nil, ctx.Err()
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() { _, _ = f.do(ctx, "k", time.Hour, fn) })
		}
		synctest.Wait() // every caller waits on the one call
		if f.m["k"] == nil || f.m["k"].waiters != 3 || calls.Load() != 1 {
			t.Fatalf("%d calls, flight %+v; want one call with 3 waiters", calls.Load(), f.m["k"])
		}
		cancel()
		wg.Wait()
		synctest.Wait()
		select {
		case <-canceled:
		default:
			t.Fatal("the shared call went on after its last waiter left")
		}
		if len(f.m) != 0 {
			t.Errorf("the canceled call is still shared: %v", f.m)
		}

		start := time.Now()
		_, err := f.do(context.Background(), "k", time.Minute, func(ctx context.Context) (*Result, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Minute {
			t.Errorf("error %v after %v, want the call's own timeout after 1m", err, time.Since(start))
		}
	})
}

// A panic while reading the answer is that query's error, on the shared
// goroutine where nothing else would recover it, and every waiter gets it.
func TestPanicInTheSharedCallIsAnError(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // until the three callers share the call
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
	waitForWaiters(t, &p.inflight, 3)
	close(release)
	wg.Wait()
}
