package grafanahost

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// fakeStreams plays the plugin: path "live/ok" is known, "live/denied"
// refused, anything else not found. Every RunStream forwards what the
// test puts on feed, and fails when failNext is set.
type fakeStreams struct {
	feed     chan json.RawMessage
	runs     atomic.Int64 // RunStream calls
	running  atomic.Int64 // RunStream calls not yet returned
	failNext atomic.Bool

	mu   sync.Mutex
	data []string // each call's org, path and subscription data: "<namespace> <path> <data>"
}

func (f *fakeStreams) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.data...)
}

func newFake() *fakeStreams { return &fakeStreams{feed: make(chan json.RawMessage)} }

func (f *fakeStreams) SubscribeStreamAs(_ context.Context, _ DataSource, _ *Caller, path string, _ json.RawMessage) (*backend.SubscribeStreamResponse, error) {
	switch path {
	case "live/ok":
		d, _ := backend.NewInitialData(json.RawMessage(`{"initial":true}`))
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK, InitialData: d}, nil
	case "live/denied":
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusPermissionDenied}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
}

func (f *fakeStreams) RunStreamAs(ctx context.Context, ds DataSource, c *Caller, path string, data json.RawMessage, packet func(json.RawMessage) error) error {
	f.mu.Lock()
	f.data = append(f.data, fmt.Sprintf("%s %s %s", ds.PluginContextFor(c).Namespace, path, data))
	f.mu.Unlock()
	f.runs.Add(1)
	f.running.Add(1)
	defer f.running.Add(-1)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p := <-f.feed:
			if f.failNext.CompareAndSwap(true, false) {
				return errors.New("the stream failed")
			}
			if err := packet(p); err != nil {
				return err
			}
		}
	}
}

func receive(t *testing.T, sub *Subscription) string {
	t.Helper()
	select {
	case p, ok := <-sub.Packets:
		if !ok {
			t.Fatalf("the subscription closed: %v", sub.Err())
		}
		return string(p)
	case <-time.After(5 * time.Second):
		t.Fatal("no packet in 5 s")
	}
	return ""
}

var testDS = DataSource{ID: 1, UID: "uid1"}

var okData = json.RawMessage(`{"target":"cpu"}`)

// TestHubSharesOneStream: a channel's subscribers share one RunStream,
// started by the first and cancelled, and waited for, when the last
// leaves; a later subscriber starts a new one.
func TestHubSharesOneStream(t *testing.T) {
	f := newFake()
	h := newHub(f)
	a, err := h.Subscribe(context.Background(), testDS, Admin, "live/ok", okData)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Subscribe(context.Background(), testDS, Admin, "live/ok", okData)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Initial) != `{"initial":true}` || string(b.Initial) != `{"initial":true}` {
		t.Errorf("initial data %q and %q, want each subscriber's own from SubscribeStream", a.Initial, b.Initial)
	}
	f.feed <- json.RawMessage(`1`)
	f.feed <- json.RawMessage(`2`)
	for name, sub := range map[string]*Subscription{"first": a, "second": b} {
		if got := receive(t, sub) + receive(t, sub); got != "12" {
			t.Errorf("the %s subscriber got %q, want the packets 1 then 2", name, got)
		}
	}
	if n := f.runs.Load(); n != 1 {
		t.Errorf("%d RunStream calls for two subscribers of one channel, want 1", n)
	}
	a.Close()
	if f.running.Load() != 1 || h.Running() != 1 {
		t.Errorf("the stream stopped while a subscriber remained")
	}
	f.feed <- json.RawMessage(`3`)
	if got := receive(t, b); got != "3" {
		t.Errorf("the remaining subscriber got %q, want 3", got)
	}
	b.Close()
	if n := f.running.Load(); n != 0 || h.Running() != 0 {
		t.Errorf("%d streams run after the last subscriber closed, want 0", n)
	}
	c, err := h.Subscribe(context.Background(), testDS, Admin, "live/ok", okData)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f.feed <- json.RawMessage(`4`)
	if got := receive(t, c); got != "4" || f.runs.Load() != 2 {
		t.Errorf("a new subscriber got %q after %d RunStream calls, want 4 after 2", got, f.runs.Load())
	}
}

func TestHubRefusals(t *testing.T) {
	for _, tt := range []struct {
		path string
		want backend.SubscribeStreamStatus
	}{
		{"live/unknown", backend.SubscribeStreamStatusNotFound},
		{"live/denied", backend.SubscribeStreamStatusPermissionDenied},
	} {
		t.Run(tt.path, func(t *testing.T) {
			f := newFake()
			_, err := newHub(f).Subscribe(context.Background(), testDS, Admin, tt.path, nil)
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Status != tt.want || refused.Channel != "ds/uid1/"+tt.path {
				t.Errorf("got %v, want a refusal of ds/uid1/%s with status %d", err, tt.path, tt.want)
			}
			if f.runs.Load() != 0 {
				t.Error("a refused subscription ran the stream")
			}
		})
	}
}

// TestHubRetriesFailedStream: a RunStream that fails while subscribed is
// run again, and the subscriber keeps its subscription.
func TestHubRetriesFailedStream(t *testing.T) {
	f := newFake()
	h := newHub(f)
	h.RetryDelay = 10 * time.Millisecond
	sub, err := h.Subscribe(context.Background(), testDS, Admin, "live/ok", okData)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	f.failNext.Store(true)
	f.feed <- json.RawMessage(`lost`)
	f.feed <- json.RawMessage(`after`)
	if got := receive(t, sub); got != "after" || f.runs.Load() != 2 {
		t.Errorf("got %q after %d RunStream calls, want the packet after the failure from a second call", got, f.runs.Load())
	}
	want := `default live/ok {"target":"cpu"}`
	if got := f.calls(); len(got) != 2 || got[0] != want || got[1] != want {
		t.Errorf("RunStream calls %q, want two with the subscription's data %q", got, want)
	}
}

// TestHubChannelsPerOrg: the same channel name in two orgs is two
// channels, each with its own stream and data, as in Grafana.
func TestHubChannelsPerOrg(t *testing.T) {
	f := newFake()
	h := newHub(f)
	other := testDS
	other.OrgID = 2
	a, err := h.Subscribe(context.Background(), testDS, Admin, "live/ok", okData)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := h.Subscribe(context.Background(), other, Admin, "live/ok", json.RawMessage(`{"target":"mem"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for deadline := time.Now().Add(5 * time.Second); f.running.Load() != 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams run for two orgs' channels, want 2", f.running.Load())
		}
	}
	got := strings.Join(f.calls(), ", ")
	if !strings.Contains(got, `default live/ok {"target":"cpu"}`) || !strings.Contains(got, `org-2 live/ok {"target":"mem"}`) {
		t.Errorf("RunStream calls %s, want one per org with its own data", got)
	}
}

// TestHubDropsSlowSubscriber: a subscriber that stops reading is dropped
// once Buffer packets behind, and the others keep receiving.
func TestHubDropsSlowSubscriber(t *testing.T) {
	f := newFake()
	h := newHub(f)
	h.Buffer = 2
	slow, _ := h.Subscribe(context.Background(), testDS, Admin, "live/ok", okData)
	fast, _ := h.Subscribe(context.Background(), testDS, Admin, "live/ok", okData)
	defer fast.Close()
	for i := range 4 {
		f.feed <- json.RawMessage(fmt.Sprint(i))
		if got := receive(t, fast); got != fmt.Sprint(i) {
			t.Fatalf("the reading subscriber got %q, want %d", got, i)
		}
	}
	n := 0
	for range slow.Packets {
		n++
	}
	if n != 2 || !errors.Is(slow.Err(), ErrTooSlow) {
		t.Errorf("the slow subscriber got %d packets and %v, want 2 and dropped as too slow", n, slow.Err())
	}
	slow.Close() // closing a dropped subscription is harmless
}

// TestLiveStreamSSE runs the host page's route: refusals as HTTP errors
// with a message, and a stream as events, ending when the browser goes.
func TestLiveStreamSSE(t *testing.T) {
	f := newFake()
	api := &API{hub: newHub(f), ds: testDS}
	srv := httptest.NewServer(http.HandlerFunc(api.liveStream))
	defer srv.Close()
	for _, tt := range []struct {
		channel string
		status  int
		want    string
	}{
		{"ds/uid1/live/unknown", 404, "not found"},
		{"ds/uid1/live/denied", 403, "denied"},
		{"ds/other/live/ok", 404, `data source "other" not found`},
		{"plugin/x/y", 400, "ds/<data source uid>/<path>"},
		{"ds/uid1", 400, "not a data source channel"},
		{"ds/uid1/live/ok&data=%7Bnot", 400, "data is not JSON"},
	} {
		res, err := http.Get(srv.URL + "?channel=" + tt.channel)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || !strings.Contains(string(body), tt.want) || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q, want %d with a text message containing %q", tt.channel, res.StatusCode, body, tt.status, tt.want)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"?channel=ds/uid1/live/ok&data="+url.QueryEscape(string(okData)), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var mu sync.Mutex
	var events []string
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				mu.Lock()
				events = append(events, d)
				mu.Unlock()
			}
		}
	}()
	f.feed <- json.RawMessage(`{"n":1}`)
	f.feed <- json.RawMessage(`{"n":2}`)
	want := []string{`{"initial":true}`, `{"n":1}`, `{"n":2}`}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(events, " ")
		mu.Unlock()
		if got == strings.Join(want, " ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := f.calls(); len(got) != 1 || got[0] != `default live/ok {"target":"cpu"}` {
		t.Errorf("RunStream calls %q, want one with the data of the address", got)
	}
	cancel() // the browser leaves
	res.Body.Close()
	for deadline := time.Now().Add(5 * time.Second); f.running.Load() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stream still runs after the only browser left")
		}
	}
}
