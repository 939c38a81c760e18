package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// However many clients and callers there are, no more calls than the
// process-wide bound are in flight at once, and a slot is held until the
// answer's body is read and closed.
func TestCallsInFlightAreBounded(t *testing.T) {
	SetMaxConcurrentCalls(3)
	t.Cleanup(func() { SetMaxConcurrentCalls(32) })
	var now, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
		_, _ = io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	clients := []*Client{newClientWith(t, srv.URL, `{}`, nil), newClientWith(t, srv.URL+"/", `{}`, nil)}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			if _, err := clients[i%2].Query(context.Background(), []byte(`{}`), func(r io.Reader) error {
				_, err := io.ReadAll(r)
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("%d calls in flight at once, want at most 3 (and the bound used)", p)
	}
}

// A caller that cannot get a slot before its deadline gets an error that
// names the bound and who can raise it.
func TestWaitingForASlotEndsWithTheContext(t *testing.T) {
	SetMaxConcurrentCalls(1)
	t.Cleanup(func() { SetMaxConcurrentCalls(32) })
	release, err := callSlots.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	c := newClientWith(t, "http://127.0.0.1:1", `{}`, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.Query(ctx, []byte(`{}`), func(io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "max_concurrent_calls") {
		t.Errorf("error %v", err)
	}
}
