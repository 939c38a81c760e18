package pipeline

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

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// boundClient is a client under the process's bound on calls in flight,
// without retries.
func boundClient(t *testing.T, url string, slots *Slots) *client.Client {
	t.Helper()
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{URL: url, JSONData: []byte(`{}`)}, models.DefaultOperator())
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(s, httpclient.Options{}, slots.acquire)
	if err != nil {
		t.Fatal(err)
	}
	c.SetBackoff(nil)
	t.Cleanup(c.Close)
	return c
}

// However many clients and callers there are, no more calls than the
// process-wide bound are in flight at once, and a slot is held until the
// answer's body is read and closed.
func TestCallsInFlightAreBounded(t *testing.T) {
	callSlots := NewSlots(3)
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
	clients := []*client.Client{boundClient(t, srv.URL, callSlots), boundClient(t, srv.URL+"/", callSlots)}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			if _, err := clients[i%2].Post(context.Background(), contract.PathQuery, []byte(`{}`), func(r io.Reader) error {
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
	callSlots := NewSlots(1)
	release, err := callSlots.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	c := boundClient(t, "http://127.0.0.1:1", callSlots)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.Post(ctx, contract.PathQuery, []byte(`{}`), func(io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "max_concurrent_calls") {
		t.Errorf("error %v", err)
	}
}

// Live polls hold at most half of the slots: however many streams wait
// on a service that does not answer, an ordinary query still gets a slot
// and its answer.
func TestLivePollsLeaveSlotsToQueries(t *testing.T) {
	for _, tt := range []struct {
		slots, wantLive int
	}{
		{4, 2},
		{5, 2},
		{1, 1}, // one slot: streams still run, queries wait their turn
	} {
		t.Run("", func(t *testing.T) {
			callSlots := NewSlots(tt.slots)
			hold := make(chan struct{})
			var live, peak atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if string(body) == "live" {
					n := live.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					<-hold
					live.Add(-1)
				}
				_, _ = io.WriteString(w, `[]`)
			}))
			defer srv.Close()
			defer close(hold)
			c := boundClient(t, srv.URL, callSlots)
			ctx, cancel := context.WithCancel(LivePoll(context.Background()))
			defer cancel()
			for range 10 {
				go func() {
					_, _ = c.Post(ctx, contract.PathQuery, []byte(`live`), func(r io.Reader) error { _, err := io.ReadAll(r); return err })
				}()
			}
			for deadline := time.Now().Add(5 * time.Second); live.Load() < int64(tt.wantLive) && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // time for any poll past the share to get in
			if p := peak.Load(); p != int64(tt.wantLive) {
				t.Errorf("%d live polls in flight at once out of %d slots, want %d", p, tt.slots, tt.wantLive)
			}
			if tt.wantLive == tt.slots {
				return
			}
			qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer qcancel()
			if _, err := c.Post(qctx, contract.PathQuery, []byte(`{}`), func(r io.Reader) error { _, err := io.ReadAll(r); return err }); err != nil {
				t.Errorf("an ordinary query while streams wait on the service: %v", err)
			}
		})
	}
}

// A live poll that cannot get one of the streams' share says so, and
// what helps.
func TestLivePollWaitingEndsWithTheContext(t *testing.T) {
	callSlots := NewSlots(2)
	release, err := callSlots.acquire(LivePoll(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(LivePoll(context.Background()), 20*time.Millisecond)
	defer cancel()
	if _, err := callSlots.acquire(ctx); err == nil || !strings.Contains(err.Error(), "as many polls in flight to in-house metrics services as they may (1, half") || !strings.Contains(err.Error(), "max_concurrent_calls") {
		t.Errorf("error %v", err)
	}
	// An ordinary call still gets the other slot.
	octx, ocancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ocancel()
	free, err := callSlots.acquire(octx)
	if err != nil {
		t.Fatalf("an ordinary call: %v", err)
	}
	free()
}
