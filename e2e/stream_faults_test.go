package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// faultySwitch serves the reference server on a fixed loopback port and
// can break /query on demand: answer 503, answer too slowly, reset the
// connection, or go away altogether and come back on the same port (a
// restart).
type faultySwitch struct {
	addr  string
	ref   http.Handler
	fault atomic.Value // string: "", "503", "slow" or "reset"

	mu  sync.Mutex
	srv *http.Server
}

func newFaultySwitch(t *testing.T, token string) *faultySwitch {
	f := &faultySwitch{ref: refserver.New(refserver.Options{Token: token})}
	f.fault.Store("")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.serve(ln)
	t.Cleanup(f.stop)
	return f
}

func (f *faultySwitch) serve(ln net.Listener) {
	srv := &http.Server{Handler: f}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (f *faultySwitch) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		_ = f.srv.Close()
		f.srv = nil
	}
}

// restart serves again on the same port.
func (f *faultySwitch) restart(t *testing.T) {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", f.addr, err)
	}
	f.serve(ln)
}

func (f *faultySwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != contract.PathQuery {
		f.ref.ServeHTTP(w, r)
		return
	}
	switch f.fault.Load().(string) {
	case "503":
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	case "slow":
		select {
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Second):
		}
	case "reset":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST, not FIN
			}
			_ = conn.Close()
		}
		return
	}
	f.ref.ServeHTTP(w, r)
}

// TestLiveStreamSurvivesFaults: while a stream runs, the service fails
// (errors, answers beyond the timeout, resets connections, or restarts).
// The stream reports it as a full frame with no rows and an error notice
// without secrets, keeps running, and once the service is back recovers
// by itself, with no resubscribe: a full frame without the notice, then
// the missed points with no gap and no duplicate.
func TestLiveStreamSurvivesFaults(t *testing.T) {
	faults := []struct {
		name         string
		break_, heal func(t *testing.T, f *faultySwitch)
		// backoff lists the waits the failure notices announce, in order,
		// before the service is healed.
		backoff []string
	}{
		{name: "5xx", break_: setFault("503"), heal: setFault(""), backoff: []string{"retrying in 2s", "retrying in 4s"}},
		{name: "slow beyond the timeout", break_: setFault("slow"), heal: setFault("")},
		{name: "connection reset", break_: setFault("reset"), heal: setFault("")},
		{name: "restart", break_: func(_ *testing.T, f *faultySwitch) { f.stop() }, heal: func(t *testing.T, f *faultySwitch) { f.restart(t) }},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := fmt.Sprintf("stream-secret-%d", time.Now().UnixNano())
			f := newFaultySwitch(t, token)
			ds := liveDS("http://" + f.addr)
			ds.JSONData["timeout"] = 0.5
			ds.Secure = map[string]string{"apiKey": token}
			history, ch := liveQuery(t, host, ds, `{"target":"latency_p99_ms","payload":{"region":"us-east"}}`)
			hist := rowsOf(t, history)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ended error
			packets := watch(ctx, t, host, ds, ch, &ended)
			var all []packet
			take := func(d time.Duration) packet {
				t.Helper()
				p := next(t, packets, d)
				all = append(all, p)
				return p
			}
			take(3 * liveInterval)

			tt.break_(t, f)
			var notices []string
			for len(notices) < max(1, len(tt.backoff)) {
				p := take(8 * liveInterval)
				ns := p.notices()
				if len(ns) == 0 {
					if len(notices) > 0 {
						t.Fatalf("a packet without notice while the service is still down: %d rows", p.frame.Rows())
					}
					continue
				}
				notices = append(notices, ns[0].Text)
				t.Logf("notice: %s", ns[0].Text)
				if !p.full || p.frame.Rows() != 0 || len(ns) != 1 {
					t.Errorf("the failure's packet: full %v with %d rows and %d notices, want a full frame with no rows and one notice", p.full, p.frame.Rows(), len(ns))
				}
				if ns[0].Severity != data.NoticeSeverityError {
					t.Errorf("notice severity %v, want error", ns[0].Severity)
				}
				if strings.Contains(ns[0].Text, token) {
					t.Errorf("the API key reached the notice")
				}
			}
			for i, want := range tt.backoff {
				if !strings.Contains(notices[i], want) {
					t.Errorf("failure %d's notice %q does not say %q (the interval doubles after each failure)", i+1, notices[i], want)
				}
			}
			if strings.Contains(pluginLogs.String(), token) {
				t.Errorf("the API key reached the plugin's log")
			}
			tt.heal(t, f)
			// Recovery: the next packet that is not a failure is a full
			// frame without notice, with rows.
			for {
				p := take(40 * liveInterval)
				if len(p.notices()) > 0 {
					continue
				}
				if !p.full {
					t.Errorf("the first packet after recovering is data only, want a full frame without the notice")
				}
				if p.frame.Rows() == 0 {
					t.Errorf("the recovery's packet has no rows")
				}
				break
			}
			take(3 * liveInterval)
			cancel()
			for range packets {
			}
			var rows []row
			for _, p := range all {
				rows = append(rows, rowsOf(t, p.frame)...)
			}
			checkContiguous(t, hist[len(hist)-1].t, rows)
		})
	}
}

func setFault(mode string) func(*testing.T, *faultySwitch) {
	return func(_ *testing.T, f *faultySwitch) { f.fault.Store(mode) }
}

// TestLiveStreamCancelLeavesNothing: after its subscribers leave, a
// channel's stream stops within an interval or two, and the plugin's
// goroutines and descriptors return to what they were before the
// streams ran (measured after a first round, so the instance and its
// pooled connections exist in both counts).
func TestLiveStreamCancelLeavesNothing(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	ds := liveDS(ref.URL)
	var chans []liveChan
	for _, svc := range []string{"checkout", "search", "payments"} {
		for _, reg := range []string{"eu-west", "us-east"} {
			_, ch := liveQuery(t, host, ds, fmt.Sprintf(`{"target":"error_ratio","payload":{"service":%q,"region":%q}}`, svc, reg))
			chans = append(chans, ch)
		}
	}
	round := func() {
		hub := grafanahost.NewHub(host)
		var subs []*grafanahost.Subscription
		for _, ch := range chans {
			sub, err := hub.Subscribe(context.Background(), ds, grafanahost.Admin, ch.path, ch.data)
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
		}
		for _, sub := range subs {
			select {
			case <-sub.Packets:
			case <-time.After(4 * liveInterval):
				t.Fatal("a stream sent nothing in 4 intervals")
			}
		}
		for _, sub := range subs {
			sub.Close()
		}
	}
	pid := host.Pid()
	round()
	time.Sleep(2 * liveInterval)
	baseG := goroutines(t)
	baseFDs, baseSockets := openFDs(t, pid)
	round()
	stopped := time.Now()
	var g, fds, sockets int
	for {
		g = goroutines(t)
		fds, sockets = openFDs(t, pid)
		if g <= baseG+2 && fds <= baseFDs+1 {
			break
		}
		if time.Since(stopped) > 2*liveInterval {
			t.Errorf("%v after cancelling %d streams: %d goroutines (%d before), %d descriptors (%d before), %d sockets (%d before)",
				2*liveInterval, len(chans), g, baseG, fds, baseFDs, sockets, baseSockets)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d streams cancelled; back to %d goroutines (%d before) and %d descriptors (%d before) in %v",
		len(chans), g, baseG, fds, baseFDs, time.Since(stopped).Round(time.Millisecond))
}
