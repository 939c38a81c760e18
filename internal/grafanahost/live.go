package grafanahost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// streamer is the part of Host the hub calls, so the hub can be tested
// against a fake.
type streamer interface {
	SubscribeStreamAs(ctx context.Context, ds DataSource, c *Caller, path string, data json.RawMessage) (*backend.SubscribeStreamResponse, error)
	RunStreamAs(ctx context.Context, ds DataSource, c *Caller, path string, data json.RawMessage, packet func(json.RawMessage) error) error
}

// Hub plays Grafana Live for plugin channels: every subscriber is asked
// for with its own SubscribeStream and gets its own initial data, but a
// channel has ONE RunStream, started by its first subscriber with that
// subscriber's identity and subscription data, whose packets go to every
// subscriber; it is cancelled when the last subscriber leaves. A RunStream
// that fails while subscribers remain (the plugin restarted, say) is run
// again after a delay with that same data, as Grafana's stream manager
// does; one that the plugin ends without an error stays ended until a new
// subscriber comes. Channels are per org, as in Grafana.
type Hub struct {
	plugin streamer
	// RetryDelay is the wait before running a failed stream again
	// (Grafana waits a few seconds).
	RetryDelay time.Duration
	// Buffer is how many packets a subscriber may fall behind before it is
	// dropped, as Grafana Live disconnects a client too slow to read.
	Buffer int

	mu       sync.Mutex
	channels map[string]*channel
}

// NewHub runs streams on plugin.
func NewHub(plugin *Host) *Hub { return newHub(plugin) }

func newHub(plugin streamer) *Hub {
	return &Hub{plugin: plugin, RetryDelay: 3 * time.Second, Buffer: 256, channels: map[string]*channel{}}
}

type channel struct {
	subs map[*Subscription]bool
	// cancel stops the running stream; done closes when it has returned.
	// Both are nil while no stream runs.
	cancel context.CancelFunc
	done   chan struct{}
}

// Subscription is one subscriber of a channel.
type Subscription struct {
	// Initial is the subscriber's initial data from SubscribeStream
	// (empty when the plugin sent none).
	Initial json.RawMessage
	// Packets delivers the data of every packet the channel's stream sends
	// from the subscription on. It is closed when the subscriber is
	// dropped for falling behind (Err says so) or has closed.
	Packets <-chan json.RawMessage

	hub     *Hub
	key     string
	packets chan json.RawMessage
	err     error
	closed  bool
}

// ErrTooSlow is why a subscriber that fell Buffer packets behind was
// dropped.
var ErrTooSlow = errors.New("the subscriber fell too far behind the stream and was dropped")

// Err tells why Packets was closed, once it is.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// RefusedError is a subscription the plugin refused.
type RefusedError struct {
	Channel string
	Status  backend.SubscribeStreamStatus
}

func (e *RefusedError) Error() string {
	switch e.Status {
	case backend.SubscribeStreamStatusNotFound:
		return fmt.Sprintf("channel %s not found: the plugin cannot stream it (no query in the subscription's data, or one that cannot stream; the plugin's log says which)", e.Channel)
	case backend.SubscribeStreamStatusPermissionDenied:
		return fmt.Sprintf("permission to subscribe to channel %s denied by the plugin (the subscription's query is not the channel's, or the data source forwards the user's identity)", e.Channel)
	}
	return fmt.Sprintf("subscription to channel %s refused with status %d", e.Channel, e.Status)
}

// Subscribe subscribes c to the channel ds/<ds.UID>/<path> of ds's org
// with the subscription's data (nil for none). A refusal is a
// *RefusedError.
func (h *Hub) Subscribe(ctx context.Context, ds DataSource, c *Caller, path string, data json.RawMessage) (*Subscription, error) {
	name := "ds/" + ds.UID + "/" + path
	key := ds.PluginContextFor(c).Namespace + "/" + name
	res, err := h.plugin.SubscribeStreamAs(ctx, ds, c, path, data)
	if err != nil {
		return nil, fmt.Errorf("subscribing to %s: %w", name, err)
	}
	if res.Status != backend.SubscribeStreamStatusOK {
		return nil, &RefusedError{Channel: name, Status: res.Status}
	}
	sub := &Subscription{hub: h, key: key, packets: make(chan json.RawMessage, h.Buffer)}
	sub.Packets = sub.packets
	if res.InitialData != nil {
		sub.Initial = res.InitialData.Data()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.channels[key]
	if ch == nil {
		ch = &channel{subs: map[*Subscription]bool{}}
		h.channels[key] = ch
	}
	ch.subs[sub] = true
	if ch.cancel == nil {
		h.start(key, ch, ds, c, path, data)
	}
	return sub, nil
}

// start runs the channel's stream; h.mu is held.
func (h *Hub) start(key string, ch *channel, ds DataSource, c *Caller, path string, data json.RawMessage) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	ch.cancel, ch.done = cancel, done
	go func() {
		defer close(done)
		defer h.stopped(key, ch, done)
		for {
			err := h.plugin.RunStreamAs(ctx, ds, c, path, data, func(p json.RawMessage) error {
				h.publish(ch, p)
				return nil
			})
			if ctx.Err() != nil || err == nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(h.RetryDelay):
			}
		}
	}()
}

// stopped forgets a stream that returned, unless a newer one replaced it.
func (h *Hub) stopped(key string, ch *channel, done chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch.done == done {
		ch.cancel()
		ch.cancel, ch.done = nil, nil
	}
	if len(ch.subs) == 0 && h.channels[key] == ch && ch.cancel == nil {
		delete(h.channels, key)
	}
}

func (h *Hub) publish(ch *channel, p json.RawMessage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range ch.subs {
		select {
		case sub.packets <- p:
		default:
			sub.err = ErrTooSlow
			h.leave(sub)
		}
	}
}

// Close ends the subscription. When it was the channel's last, the
// channel's stream is cancelled and Close waits for the call to end.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	done := h.leave(s)
	h.mu.Unlock()
	if done != nil {
		<-done
	}
}

// leave removes sub; h.mu is held. It returns the done channel of a
// stream it cancelled.
func (h *Hub) leave(sub *Subscription) chan struct{} {
	if sub.closed {
		return nil
	}
	sub.closed = true
	close(sub.packets)
	ch := h.channels[sub.key]
	if ch == nil {
		return nil
	}
	delete(ch.subs, sub)
	if len(ch.subs) > 0 {
		return nil
	}
	delete(h.channels, sub.key)
	if ch.cancel == nil {
		return nil
	}
	ch.cancel()
	return ch.done
}

// Running counts the channels whose stream is running.
func (h *Hub) Running() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ch := range h.channels {
		if ch.cancel != nil {
			n++
		}
	}
	return n
}

// liveStream serves GET /api/live/stream?channel=ds/<uid>/<path>&data=<json>
// as Server-Sent Events: the subscriber's initial data, if any, then one
// event per packet of the channel's stream, each `data: <json>`. data is
// the channel address's data, which Grafana passes to SubscribeStream and
// RunStream.
// Grafana's frontend talks to Grafana Live over a WebSocket (Centrifuge);
// a host page needs only the messages, which SSE carries with no client
// library.
func (s *API) liveStream(w http.ResponseWriter, r *http.Request) {
	ds := s.DataSource()
	name := r.URL.Query().Get("channel")
	rest, ok := strings.CutPrefix(name, "ds/")
	uid, path, _ := strings.Cut(rest, "/")
	if !ok || uid == "" || path == "" {
		http.Error(w, fmt.Sprintf("channel %q is not a data source channel: give ?channel=ds/<data source uid>/<path>, as a live query's frame names it in meta.channel", name), http.StatusBadRequest)
		return
	}
	if uid != ds.UID {
		http.Error(w, fmt.Sprintf("data source %q not found", uid), http.StatusNotFound)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported by this connection", http.StatusInternalServerError)
		return
	}
	var data json.RawMessage
	if d := r.URL.Query().Get("data"); d != "" {
		if !json.Valid([]byte(d)) {
			http.Error(w, "data is not JSON: give the channel address's data as a JSON object", http.StatusBadRequest)
			return
		}
		data = json.RawMessage(d)
	}
	sub, err := s.hub.Subscribe(r.Context(), ds, Admin, path, data)
	var refused *RefusedError
	switch {
	case errors.As(err, &refused) && refused.Status == backend.SubscribeStreamStatusPermissionDenied:
		http.Error(w, refused.Error(), http.StatusForbidden)
		return
	case errors.As(err, &refused):
		http.Error(w, refused.Error(), http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, "the plugin failed to answer the subscription", http.StatusInternalServerError)
		return
	}
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if len(sub.Initial) > 0 {
		writeEvent(w, sub.Initial)
	}
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case p, ok := <-sub.Packets:
			if !ok {
				return
			}
			writeEvent(w, p)
			flusher.Flush()
		}
	}
}

// writeEvent writes one event; a line break inside the data becomes a
// new data line, which the browser's EventSource joins back.
func writeEvent(w http.ResponseWriter, data []byte) {
	for _, line := range bytes.Split(data, []byte("\n")) {
		_, _ = w.Write([]byte("data: "))
		_, _ = w.Write(line)
		_, _ = w.Write([]byte("\n"))
	}
	_, _ = w.Write([]byte("\n"))
}
