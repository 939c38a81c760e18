package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
)

// queryOver runs model over the span before now with the given interval,
// as a panel does (the model as Grafana's frontend sends it, with the
// resolution and the relative range, which a stream reads from the
// subscription data), and returns the response of refId A.
func queryOver(tb testing.TB, h *grafanahost.Host, ds grafanahost.DataSource, model string, span, interval time.Duration) backend.DataResponse {
	tb.Helper()
	end := time.Now()
	model = fmt.Sprintf(`{"intervalMs":%d,"maxDataPoints":100000,"rangeRaw":{"from":"now-%ds","to":"now"},`, interval.Milliseconds(), int(span.Seconds())) + strings.TrimPrefix(model, "{")
	q := backend.DataQuery{RefID: "A", JSON: json.RawMessage(model), TimeRange: backend.TimeRange{From: end.Add(-span), To: end},
		MaxDataPoints: 100_000, Interval: interval}
	res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return res.Responses["A"]
}

// channelOf is a live response's channel: its path and subscription data.
func channelOf(tb testing.TB, ds grafanahost.DataSource, r backend.DataResponse) liveChan {
	tb.Helper()
	if r.Error != nil || len(r.Frames) == 0 || r.Frames[0].Meta == nil {
		tb.Fatalf("live query: error %v, %d frames", r.Error, len(r.Frames))
	}
	m, ok := live.MetaOf(r.Frames[0])
	if !ok {
		tb.Fatalf("live query: no channel in meta.custom.live")
	}
	return liveChan{path: strings.TrimPrefix(m.Channel, "ds/"+ds.UID+"/"), data: m.Data}
}

// queryWindow reads the range of a /query request.
func queryWindow(r *http.Request) (from, to time.Time, target string) {
	var req contract.QueryRequest
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	if len(req.Targets) > 0 {
		target = req.Targets[0].Target
	}
	return req.Range.From, req.Range.To, target
}

// unaligned answers /query with n series, each scraped every second at
// its own offset (series i at i ms past the second), within the range
// asked for: the answer the issue measured at 1,000 series × 60 points.
func unaligned(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, to, _ := queryWindow(r)
		var b bytes.Buffer
		b.WriteByte('[')
		for s := range n {
			if s > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"target":"up","tags":{"pod":"web-%04d"},"datapoints":[`, s)
			first := true
			for sec := from.Truncate(time.Second); !sec.After(to); sec = sec.Add(time.Second) {
				t := sec.Add(time.Duration(s) * time.Millisecond)
				if t.Before(from) || t.After(to) {
					continue
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				fmt.Fprintf(&b, "[%d,%d]", s, t.UnixMilli())
			}
			b.WriteString("]}")
		}
		b.WriteByte(']')
		_, _ = w.Write(b.Bytes())
	})
}

// cells is rows × series of a wide frame.
func cells(f *data.Frame) int { return f.Rows() * (len(f.Fields) - 1) }

// TestLiveUnalignedSeriesStayBounded: 1,000 series each scraped at its
// own offset over a minute (60,000 points, each at a distinct time). The
// live frame holds no more cells than twice those points (the frames
// without live hold the points), its rows aligned to the interval with a
// notice saying so; the stream's packets stay on that grid.
func TestLiveUnalignedSeriesStayBounded(t *testing.T) {
	const series = 1000
	ds := dataSource(serve(t, unaligned(series)).URL)
	ds.JSONData["liveMinIntervalSeconds"] = 1
	plain := queryOver(t, host, ds, `{"target":"up"}`, time.Minute, time.Second)
	if plain.Error != nil {
		t.Fatal(plain.Error)
	}
	points := 0
	for _, f := range plain.Frames {
		points += f.Rows()
	}
	live := queryOver(t, host, ds, `{"target":"up","live":true}`, time.Minute, time.Second)
	if live.Error != nil {
		t.Fatal(live.Error)
	}
	f := live.Frames[0]
	if len(f.Fields)-1 != series || cells(f) > 2*points {
		t.Errorf("the live frame has %d series × %d rows = %d cells for %d points, want %d series and at most %d cells", len(f.Fields)-1, f.Rows(), cells(f), points, series, 2*points)
	}
	var text []string
	for _, n := range f.Meta.Notices {
		text = append(text, n.Text)
	}
	if !strings.Contains(strings.Join(text, " "), "do not line up") {
		t.Errorf("notices %q, want one that says the series were aligned and why", text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	packets := watch(ctx, t, host, ds, channelOf(t, ds, live), nil)
	var rows int
	for p := range packets {
		if c := cells(p.frame); c > 100_000 {
			t.Errorf("a packet of %d rows × %d series", p.frame.Rows(), len(p.frame.Fields)-1)
		}
		for _, r := range rowsOf(t, p.frame) {
			rows++
			if r.t.UnixNano()%int64(time.Second) != 0 {
				t.Errorf("row at %s is not on the interval's grid", stamp(r.t))
			}
		}
		if rows >= 3 {
			cancel()
		}
	}
	if rows < 3 {
		t.Errorf("%d rows streamed, want the stream to go on", rows)
	}
}

// TestLiveSeriesChurnStaysBounded: an upstream whose pod label changes
// every poll (5 new series each time, never seen again). The panel's span
// is 3 s, so the frame carries about the series of the last 3 s of polls;
// over 15 s at 0.1 s polls (150 polls, 750 series) no packet carries
// more than that, and the plugin's memory does not grow with the series
// seen.
func TestLiveSeriesChurnStaysBounded(t *testing.T) {
	var calls atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, to, _ := queryWindow(r)
		n := calls.Add(1)
		var b bytes.Buffer
		b.WriteByte('[')
		for k := range 5 {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"target":"up","tags":{"pod":"p%d-%d"},"datapoints":[[1,%d]]}`, n, k, to.Add(-time.Millisecond).UnixMilli())
		}
		b.WriteByte(']')
		_, _ = w.Write(b.Bytes())
	}))
	h := startHost(t, nil)
	ds := dataSource(srv.URL)
	ds.JSONData["liveMinIntervalSeconds"] = 0.1
	live := queryOver(t, h, ds, `{"target":"up","live":true}`, 3*time.Second, 100*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var (
		fr                  frameReader
		mostFields, packets int
		mostBytes           int
		rss5                float64
	)
	start := time.Now()
	ch := channelOf(t, ds, live)
	_ = h.RunStream(ctx, ds, ch.path, ch.data, func(raw json.RawMessage) error {
		f, _, err := fr.read(raw)
		if err != nil {
			return err
		}
		packets++
		mostFields, mostBytes = max(mostFields, len(f.Fields)), max(mostBytes, len(raw))
		if rss5 == 0 && time.Since(start) > 5*time.Second {
			rss5 = procStatusMB(t, h.Pid(), "VmRSS")
		}
		return nil
	})
	rss := procStatusMB(t, h.Pid(), "VmRSS")
	t.Logf("%d packets from %d polls: at most %d fields, %d bytes; RSS %.0f MB at 5 s, %.0f MB at 15 s", packets, calls.Load(), mostFields, mostBytes, rss5, rss)
	// 3 s of polls at 0.1 s, 5 series each, and room for slow polls.
	if mostFields > 1+5*45 || packets < 50 {
		t.Errorf("%d packets, the largest with %d fields, want at most %d", packets, mostFields, 1+5*45)
	}
	if rss5 == 0 || rss > rss5+64 {
		t.Errorf("the plugin's RSS went from %.0f MB at 5 s to %.0f MB at 15 s", rss5, rss)
	}
}

// TestLiveStreamsLeaveSlotsToQueries: 100 streams against a service that
// answers in 5 s, with the default 32 calls in flight. Live polls hold at
// most half of them, so ordinary queries, slow too, still answer within
// their data source's 12 s timeout instead of queueing behind the polls.
func TestLiveStreamsLeaveSlotsToQueries(t *testing.T) {
	var slow atomic.Bool
	var inFlight, peak atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, to, target := queryWindow(r)
		if slow.Load() {
			if strings.HasPrefix(target, "stream") {
				n := inFlight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				defer inFlight.Add(-1)
			}
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, `[{"target":%q,"datapoints":[[1,%d]]}]`, target, to.UnixMilli())
	}))
	h := startHost(t, nil)
	ds := dataSource(srv.URL)
	ds.JSONData["liveMinIntervalSeconds"] = 1
	ds.JSONData["timeout"] = 12
	var chans []liveChan
	for i := range 100 {
		chans = append(chans, channelOf(t, ds, queryOver(t, h, ds, fmt.Sprintf(`{"target":"stream%d","live":true}`, i), time.Minute, time.Second)))
	}
	slow.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for _, c := range chans {
		wg.Go(func() { _ = h.RunStream(ctx, ds, c.path, c.data, func(json.RawMessage) error { return nil }) })
	}
	// Until the streams hold what they may, and a poll interval more.
	for deadline := time.Now().Add(20 * time.Second); inFlight.Load() < 16 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second)
	errs := make([]error, 8)
	var qs sync.WaitGroup
	for i := range errs {
		qs.Go(func() {
			r := queryOver(t, h, ds, fmt.Sprintf(`{"target":"dashboard%d"}`, i), time.Hour, time.Minute)
			errs[i] = r.Error
		})
	}
	qs.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("query %d while 100 streams poll a slow service: %v", i, err)
		}
	}
	if p := peak.Load(); p > 16 || p < 8 {
		t.Errorf("%d polls in flight at once, want at most 16 (half the 32 slots) and the share used", p)
	}
}

// TestLiveStreamGoesOnAfterAPointADayAhead: the service answers one poll
// with a point stamped a day ahead (it ignores the range), then normal
// points. The stream leaves that point out and goes on with the next
// ones; on main every later window started a day ahead and the stream
// froze.
func TestLiveStreamGoesOnAfterAPointADayAhead(t *testing.T) {
	var calls atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, to, _ := queryWindow(r)
		at := to.Add(-time.Millisecond)
		if calls.Add(1) == 2 { // the stream's first poll
			at = time.Now().Add(24 * time.Hour)
		}
		fmt.Fprintf(w, `[{"target":"up","datapoints":[[1,%d]]}]`, at.UnixMilli())
	}))
	ds := dataSource(srv.URL)
	ds.JSONData["liveMinIntervalSeconds"] = 0.2
	live := queryOver(t, host, ds, `{"target":"up","live":true}`, time.Minute, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rows []row
	var warned bool
	for p := range watch(ctx, t, host, ds, channelOf(t, ds, live), nil) {
		for _, n := range p.notices() {
			warned = warned || strings.Contains(n.Text, "after the plugin's clock")
		}
		rows = append(rows, rowsOf(t, p.frame)...)
		if len(rows) >= 5 {
			cancel()
		}
	}
	if len(rows) < 5 {
		t.Fatalf("%d rows in 10 s after a point a day ahead (%d polls), want the stream to go on", len(rows), calls.Load())
	}
	for _, r := range rows {
		if r.t.After(time.Now().Add(time.Minute)) {
			t.Errorf("a row at %v, a day ahead", r.t)
		}
	}
	if !warned {
		t.Error("no notice said a point ahead of the clock was left out")
	}
}
