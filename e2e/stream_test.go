package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// liveInterval is the streams' poll interval in these tests: the query's
// interval, at the data source's floor.
const liveInterval = time.Second

// liveDS is a data source whose streams poll at liveInterval.
func liveDS(url string) grafanahost.DataSource {
	ds := dataSource(url)
	ds.JSONData["liveMinIntervalSeconds"] = liveInterval.Seconds()
	return ds
}

// liveChan is what a live query's answer gives a subscriber: the path of
// its channel and the subscription data.
type liveChan struct {
	path string
	data json.RawMessage
}

// liveQuery runs model (a JSON object) as a live query over the last
// minute, as a live panel does (the model as Grafana's frontend sends it,
// with the panel's resolution and relative range), and returns its one
// frame and its channel.
func liveQuery(tb testing.TB, h *grafanahost.Host, ds grafanahost.DataSource, model string) (*data.Frame, liveChan) {
	tb.Helper()
	end := time.Now()
	full := fmt.Sprintf(`{"live":true,"intervalMs":%d,"maxDataPoints":1000,"rangeRaw":{"from":"now-1m","to":"now"},`, liveInterval.Milliseconds()) + strings.TrimPrefix(model, "{")
	q := backend.DataQuery{RefID: "A", JSON: json.RawMessage(full),
		TimeRange: backend.TimeRange{From: end.Add(-time.Minute), To: end}, MaxDataPoints: 1000, Interval: liveInterval}
	res, err := h.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	r := res.Responses["A"]
	if r.Error != nil {
		tb.Fatalf("live query %s: %v", model, r.Error)
	}
	if len(r.Frames) != 1 {
		tb.Fatalf("live query %s: %d frames, want one wide frame", model, len(r.Frames))
	}
	f := r.Frames[0]
	prefix := "ds/" + ds.UID + "/"
	m, ok := live.MetaOf(f)
	if !ok && f.Meta != nil && f.Meta.Channel != "" && os.Getenv(otherBinaryEnv) != "" {
		// A build from before stateless channels (run with
		// INHOUSE_PLUGIN_BINARY to see what it does): its channel, and the
		// model as data, which it ignores.
		m, ok = live.Meta{Channel: f.Meta.Channel, Data: json.RawMessage(full)}, true
	}
	if !ok || !strings.HasPrefix(m.Channel, prefix+"live/") {
		tb.Fatalf("live query %s: frame meta %+v, want a channel %slive/<hash> in meta.custom.live", model, f.Meta, prefix)
	}
	if len(m.Data) == 0 {
		tb.Fatalf("live query %s: no subscription data next to the channel", model)
	}
	return f, liveChan{path: strings.TrimPrefix(m.Channel, prefix), data: m.Data}
}

// frameReader reads a stream's packets (data.FrameJSON): a full frame
// carries the schema, a data-only one is laid out by the last schema.
type frameReader struct{ schema json.RawMessage }

func (fr *frameReader) read(raw json.RawMessage) (f *data.Frame, full bool, err error) {
	var pk struct {
		Schema json.RawMessage `json:"schema"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &pk); err != nil {
		return nil, false, fmt.Errorf("packet %.200s is not a frame: %w", raw, err)
	}
	full = len(pk.Schema) > 0
	if full {
		fr.schema = pk.Schema
	}
	if fr.schema == nil {
		return nil, false, fmt.Errorf("data-only packet %.200s before any schema", raw)
	}
	// The SDK's reader wants the schema first.
	whole := `{"schema":` + string(fr.schema)
	if len(pk.Data) > 0 {
		whole += `,"data":` + string(pk.Data)
	}
	f = new(data.Frame)
	if err := f.UnmarshalJSON([]byte(whole + "}")); err != nil {
		return nil, false, fmt.Errorf("packet %.200s: %w", raw, err)
	}
	return f, full, nil
}

// packet is one packet as a test sees it.
type packet struct {
	at    time.Time
	full  bool
	frame *data.Frame
}

func (p packet) notices() []data.Notice {
	if p.frame.Meta == nil {
		return nil
	}
	return p.frame.Meta.Notices
}

// watch runs the stream of ch over the plugin protocol until ctx ends,
// delivering each packet decoded; the channel closes when RunStream
// returns, and *ended then holds its error.
func watch(ctx context.Context, tb testing.TB, h *grafanahost.Host, ds grafanahost.DataSource, ch liveChan, ended *error) <-chan packet {
	out := make(chan packet, 4096)
	go func() {
		defer close(out)
		var fr frameReader
		err := h.RunStream(ctx, ds, ch.path, ch.data, func(raw json.RawMessage) error {
			f, full, err := fr.read(raw)
			if err != nil {
				tb.Error(err)
				return err
			}
			out <- packet{at: time.Now(), full: full, frame: f}
			return nil
		})
		if ended != nil {
			*ended = err
		}
	}()
	return out
}

// next waits up to d for a packet.
func next(tb testing.TB, ch <-chan packet, d time.Duration) packet {
	tb.Helper()
	select {
	case p, ok := <-ch:
		if !ok {
			tb.Fatal("the stream ended")
		}
		return p
	case <-time.After(d):
		tb.Fatalf("no packet in %v", d)
	}
	return packet{}
}

// row is one streamed row: its time and the values by series key.
type row struct {
	t    time.Time
	vals map[string]*float64
}

func rowsOf(tb testing.TB, f *data.Frame) []row {
	tb.Helper()
	n, err := f.RowLen()
	if err != nil || len(f.Fields) == 0 || f.Fields[0].Type() != data.FieldTypeTime {
		tb.Fatalf("not a wide frame with a time field first: %v", err)
	}
	out := make([]row, n)
	for i := range out {
		out[i] = row{t: f.Fields[0].At(i).(time.Time), vals: map[string]*float64{}}
		for _, fld := range f.Fields[1:] {
			v, _ := fld.NullableFloatAt(i)
			out[i].vals[fld.Name] = v
		}
	}
	return out
}

// after drops the rows at or before t, as the frontend drops the rows a
// stream sends that the panel already holds: a stream's first packet
// covers the query's span, since the stream does not know what its
// subscribers hold.
func after(t time.Time, rows []row) []row {
	for len(rows) > 0 && !rows[0].t.After(t) {
		rows = rows[1:]
	}
	return rows
}

// checkContiguous checks that the rows follow after in steps of exactly
// liveInterval: in order, no duplicates, no gaps.
func checkContiguous(t *testing.T, last time.Time, rows []row) {
	t.Helper()
	rows = after(last, rows)
	prev := last
	for _, r := range rows {
		if d := r.t.Sub(prev); d != liveInterval {
			t.Errorf("row at %s follows %s: %v apart, want %v (in order, no duplicate, no gap)", stamp(r.t), stamp(prev), d, liveInterval)
		}
		prev = r.t
	}
}

func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// TestLiveStreamNewPoints: a live query's stream sends, after the
// history, every new point of the reference server (whose data exists up
// to the current time) in order, each within two intervals of its time,
// with no duplicate and no gap; the schema once, then data only; the
// values are the server's; and a later subscriber's initial data is the
// schema.
func TestLiveStreamNewPoints(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	ds := liveDS(ref.URL)
	history, ch := liveQuery(t, host, ds, `{"target":"cpu_usage","payload":{"service":"search"}}`)
	if history.Meta.Type != data.FrameTypeTimeSeriesWide || len(history.Fields) != 3 {
		t.Fatalf("history: type %q with %d fields, want a timeseries-wide frame with time and 2 series", history.Meta.Type, len(history.Fields))
	}
	if _, err := timeseries.CollectionReaderFromFrames(data.Frames{history}); err != nil {
		t.Errorf("the history frame breaks the data plane contract: %v", err)
	}
	hist := rowsOf(t, history)
	if len(hist) == 0 {
		t.Fatal("no history")
	}
	last := hist[len(hist)-1].t

	sub, err := host.SubscribeStream(context.Background(), ds, ch.path, ch.data)
	if err != nil || sub.Status != backend.SubscribeStreamStatusOK {
		t.Fatalf("SubscribeStream(%s): %v %+v", ch.path, err, sub)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	var ended error
	packets := watch(ctx, t, host, ds, ch, &ended)
	var got []packet
	for p := range packets {
		got = append(got, p)
		if len(got) == 1 {
			// Grafana asks every new subscriber, with the stream running.
			later, err := host.SubscribeStream(context.Background(), ds, ch.path, ch.data)
			if err != nil || later.Status != backend.SubscribeStreamStatusOK {
				t.Fatalf("a second SubscribeStream: %v %+v", err, later)
			}
			checkInitialSchema(t, later, p.frame)
		}
	}
	if ended != nil && !errors.Is(ended, context.DeadlineExceeded) {
		t.Fatalf("RunStream ended before its 3.5 s: %v", ended)
	}
	if len(got) < 3 {
		t.Fatalf("%d packets in 3.5 s at a %v interval, want at least 3", len(got), liveInterval)
	}
	var rows []row
	for i, p := range got {
		if p.full != (i == 0) {
			t.Errorf("packet %d: full frame %v; want the schema in the first packet only", i, p.full)
		}
		if len(p.notices()) > 0 {
			t.Errorf("packet %d: notices %v from a healthy service", i, p.notices())
		}
		rs := rowsOf(t, p.frame)
		if i == 0 {
			rs = after(last, rs)
		}
		if len(rs) == 0 && !p.full {
			// A full frame may come before any new point: it sets the
			// schema, as the initial data does.
			t.Errorf("data-only packet %d has no rows; a poll without new points should send nothing", i)
		}
		for _, r := range rs {
			if lag := p.at.Sub(r.t); lag > 2*liveInterval {
				t.Errorf("the point at %s arrived %v later, want within two intervals (%v)", stamp(r.t), lag, 2*liveInterval)
			}
		}
		rows = append(rows, rs...)
	}
	if len(rows) < 2 {
		t.Fatalf("%d new rows in 3.5 s at a %v interval, want at least 2", len(rows), liveInterval)
	}
	checkContiguous(t, last, rows)
	checkValues(t, ds, got[0].frame, rows)
}

// checkInitialSchema: a subscriber's initial data is the channel's
// current schema, without data.
func checkInitialSchema(t *testing.T, sub *backend.SubscribeStreamResponse, current *data.Frame) {
	t.Helper()
	if sub.InitialData == nil || len(sub.InitialData.Data()) == 0 {
		t.Error("a subscriber of a running stream got no initial data, want the schema")
		return
	}
	var fj struct {
		Schema json.RawMessage `json:"schema"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(sub.InitialData.Data(), &fj); err != nil || len(fj.Schema) == 0 || len(fj.Data) > 0 {
		t.Errorf("initial data %.300s: want a frame with schema only", sub.InitialData.Data())
		return
	}
	var fr frameReader
	f, _, err := fr.read(sub.InitialData.Data())
	if err != nil {
		t.Error(err)
		return
	}
	if got, want := fieldNames(f), fieldNames(current); got != want {
		t.Errorf("initial schema has fields %s, the stream's frame %s", got, want)
	}
}

func fieldNames(f *data.Frame) string {
	names := make([]string, len(f.Fields))
	for i, fld := range f.Fields {
		names[i] = fld.Name
	}
	return strings.Join(names, ", ")
}

// checkValues compares streamed rows with an ordinary query of the same
// window: the same series and the same values.
func checkValues(t *testing.T, ds grafanahost.DataSource, schema *data.Frame, rows []row) {
	t.Helper()
	if len(rows) == 0 {
		return
	}
	q := backend.DataQuery{RefID: "A", JSON: json.RawMessage(`{"target":"cpu_usage","payload":{"service":"search"}}`),
		TimeRange: backend.TimeRange{From: rows[0].t, To: rows[len(rows)-1].t}, MaxDataPoints: 1000, Interval: liveInterval}
	res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{q}, nil)
	if err != nil || res.Responses["A"].Error != nil {
		t.Fatalf("the ordinary query: %v %v", err, res.Responses["A"].Error)
	}
	// By epoch milliseconds: decoded times differ in location.
	want := map[string]map[int64]float64{}
	for _, f := range res.Responses["A"].Frames {
		key := f.Fields[1].Labels.String()
		want[key] = map[int64]float64{}
		for i := 0; i < f.Rows(); i++ {
			v, _ := f.Fields[1].NullableFloatAt(i)
			if v != nil {
				want[key][f.Fields[0].At(i).(time.Time).UnixMilli()] = *v
			}
		}
	}
	for _, fld := range schema.Fields[1:] {
		key := fld.Labels.String()
		if _, ok := want[key]; !ok {
			t.Errorf("the stream has series %s (labels %s), the ordinary query does not", fld.Name, key)
			continue
		}
		for _, r := range rows {
			v := r.vals[fld.Name]
			if w, ok := want[key][r.t.UnixMilli()]; !ok || v == nil || *v != w {
				t.Errorf("series %s at %s: streamed %v, the server has %v (present %v)", fld.Name, stamp(r.t), deref(v), w, ok)
			}
		}
	}
	if len(want) != len(schema.Fields)-1 {
		t.Errorf("the stream has %d series, the ordinary query %d", len(schema.Fields)-1, len(want))
	}
}

// sseClient reads a channel from the host page's /api/live/stream.
type sseClient struct {
	mu     sync.Mutex
	events []string
	cancel context.CancelFunc
}

func subscribeSSE(t *testing.T, base, channel string, data json.RawMessage) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/live/stream?channel="+channel+"&data="+url.QueryEscape(string(data)), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("subscribing to %s: status %d", channel, res.StatusCode)
	}
	c := &sseClient{cancel: cancel}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				c.mu.Lock()
				c.events = append(c.events, d)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *sseClient) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...)
}

// dataOnly keeps the events without a schema.
func dataOnly(events []string) []string {
	var out []string
	for _, e := range events {
		if !strings.Contains(e, `"schema"`) {
			out = append(out, e)
		}
	}
	return out
}

// TestLiveStreamOnePollForTwoSubscribers: two browsers on one channel of
// the host page, which runs one RunStream per channel as Grafana Live
// does, cause one /query per interval at the service, and both receive
// the same packets.
func TestLiveStreamOnePollForTwoSubscribers(t *testing.T) {
	srv := refserver.New(refserver.Options{})
	ref := serve(t, srv)
	ds := liveDS(ref.URL)
	api := grafanahost.NewAPI(host, ds, t.TempDir(), nil)
	page := httptest.NewServer(api)
	defer page.Close()
	_, ch := liveQuery(t, host, ds, `{"target":"cpu_usage","payload":{"service":"checkout","region":"eu-west"}}`)

	a := subscribeSSE(t, page.URL, "ds/"+ds.UID+"/"+ch.path, ch.data)
	b := subscribeSSE(t, page.URL, "ds/"+ds.UID+"/"+ch.path, ch.data)
	deadline := time.Now().Add(4 * liveInterval)
	for len(a.got()) < 2 || len(b.got()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("after %v the subscribers have %d and %d events", 4*liveInterval, len(a.got()), len(b.got()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := api.Hub().Running(); n != 1 {
		t.Errorf("%d streams run for one channel, want 1", n)
	}
	polls0, t0 := srv.Count(contract.PathQuery), time.Now()
	time.Sleep(3 * liveInterval)
	polls, elapsed := srv.Count(contract.PathQuery)-polls0, time.Since(t0)
	intervals := int64(elapsed / liveInterval)
	t.Logf("%d polls of the service in %v with two subscribers", polls, elapsed.Round(time.Millisecond))
	if polls < intervals-1 || polls > intervals+1 {
		t.Errorf("%d polls in %v at a %v interval with two subscribers, want one per interval (%d±1)", polls, elapsed, liveInterval, intervals)
	}
	// A subscriber who joins the running stream first gets its schema as
	// initial data, the first one the stream's first packet; the data-only
	// packets that follow are the same for both, the second perhaps
	// joining one later.
	pa, pb := dataOnly(a.got()), dataOnly(b.got())
	if len(pb) == 0 || len(pa) < len(pb) || len(pa)-len(pb) > 1 || strings.Join(pa[len(pa)-len(pb):], "\n") != strings.Join(pb, "\n") {
		t.Errorf("the subscribers got different packets:\n%v\n%v", pa, pb)
	}
	a.cancel()
	b.cancel()
	for deadline := time.Now().Add(2 * liveInterval); api.Hub().Running() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the channel's stream still runs after both subscribers left")
		}
	}
}

// TestLiveStreamRefusals: made-up and malformed channel paths are
// refused as not found, not served as a silent stream; a subscription
// whose data does not hash to its path (someone else's channel, or
// another query on it) is refused as permission denied, and its stream
// ends at once without polling; one without data is refused, and its
// stream (an older frontend's panel, run again after a restart) says to
// refresh; publishing is denied; and streams are refused while the data
// source forwards the user's identity.
func TestLiveStreamRefusals(t *testing.T) {
	srv := refserver.New(refserver.Options{})
	ref := serve(t, srv)
	ds := liveDS(ref.URL)
	_, known := liveQuery(t, host, ds, `{"target":"cpu_usage","payload":{"service":"payments"}}`)
	_, other := liveQuery(t, host, ds, `{"target":"cpu_usage","payload":{"service":"search"}}`)
	hash := strings.TrimPrefix(known.path, "live/")
	type tc struct {
		name    string
		path    string
		data    json.RawMessage
		status  backend.SubscribeStreamStatus
		packets int // RunStream's packets before it ends at once
	}
	cases := []tc{
		{"another query on the path", known.path, other.data, backend.SubscribeStreamStatusPermissionDenied, 0},
		{"the query on a made-up path", "live/AAAAAAAAAAAAAAAAAAAAAA", known.data, backend.SubscribeStreamStatusPermissionDenied, 0},
		{"the query edited", known.path, json.RawMessage(strings.Replace(string(known.data), "payments", "search", 1)), backend.SubscribeStreamStatusPermissionDenied, 0},
		{"no data", known.path, nil, backend.SubscribeStreamStatusNotFound, 1},
	}
	for _, path := range []string{
		"", "live", "live/", "live/" + hash + "x", "live/" + hash[:21],
		"other/" + hash, "live/" + hash + "/more", "live/../" + hash, "live/%00", strings.Repeat("live/", 2000),
	} {
		cases = append(cases, tc{fmt.Sprintf("path %q", path), path, known.data, backend.SubscribeStreamStatusNotFound, 0})
	}
	polls := srv.Count(contract.PathQuery)
	for _, tt := range cases {
		name := tt.name
		if len(name) > 50 {
			name = name[:50] + "..."
		}
		t.Run(name, func(t *testing.T) {
			res, err := host.SubscribeStream(context.Background(), ds, tt.path, tt.data)
			if err != nil {
				t.Fatalf("SubscribeStream failed instead of refusing: %v", err)
			}
			if res.Status != tt.status {
				t.Errorf("status %d, want %d", res.Status, tt.status)
			}
			// A refused channel's stream must end, not poll forever.
			ctx, cancel := context.WithTimeout(context.Background(), 3*liveInterval)
			defer cancel()
			var ended error
			var got []packet
			for p := range watch(ctx, t, host, ds, liveChan{tt.path, tt.data}, &ended) {
				got = append(got, p)
			}
			if ctx.Err() != nil || len(got) != tt.packets {
				t.Errorf("RunStream of a refused channel sent %d packets and ran until cancelled (%v), want %d and an end at once", len(got), ended, tt.packets)
			}
			if tt.packets == 1 && (len(got[0].notices()) != 1 || !strings.Contains(got[0].notices()[0].Text, "refresh the panel")) {
				t.Errorf("the frame of a stream without data has notices %v, want one that says to refresh the panel", got[0].notices())
			}
		})
	}
	if n := srv.Count(contract.PathQuery) - polls; n != 0 {
		t.Errorf("refused streams made %d calls to the service, want none", n)
	}
	if !strings.Contains(pluginLogs.String(), "does not hash to the channel's path") {
		t.Error("the plugin's log does not say why a subscription was refused")
	}
	for _, path := range []string{known.path, "live/AAAAAAAAAAAAAAAAAAAAAA"} {
		res, err := host.PublishStream(context.Background(), ds, path, json.RawMessage(`{"x":1}`))
		if err != nil || res.Status != backend.PublishStreamStatusPermissionDenied {
			t.Errorf("PublishStream(%s): %v %+v, want PermissionDenied", path, err, res)
		}
	}
	fwd := ds
	fwd.JSONData = map[string]any{"oauthPassThru": true, "liveMinIntervalSeconds": 1}
	fwd.Updated = time.Now() // saved settings: a new instance
	if res, err := host.SubscribeStream(context.Background(), fwd, known.path, known.data); err != nil || res.Status != backend.SubscribeStreamStatusPermissionDenied {
		t.Errorf("SubscribeStream while forwarding the user's identity: %v %+v, want PermissionDenied", err, res)
	}
}
