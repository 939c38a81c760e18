package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
)

// step is the clock service's sampling interval and the streams' poll
// interval in these tests.
const step = 100 * time.Millisecond

// clockService answers /query with one series sampled every step up to
// the present, as a live service does: each poll finds the points that
// came since. While failing is set it answers 503.
type clockService struct {
	failing atomic.Bool
	polls   atomic.Int64
}

func (c *clockService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req contract.QueryRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.polls.Add(1)
	if c.failing.Load() {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	to := min(req.Range.To.UnixMilli(), time.Now().UnixMilli())
	ms := step.Milliseconds()
	var points []string
	for t := (req.Range.From.UnixMilli() + ms - 1) / ms * ms; t <= to; t += ms {
		points = append(points, fmt.Sprintf("[%d,%d]", t/ms%1000, t))
	}
	fmt.Fprintf(w, `[{"target":"ticks","tags":{"host":"a"},"datapoints":[%s]}]`, strings.Join(points, ","))
}

// packets collects what a stream sends, as Grafana receives it.
type packets struct {
	mu  sync.Mutex
	got []packet
}

// packet is one frame as JSON: a schema (when sent) and the values.
type packet struct {
	Schema *struct {
		RefID  string `json:"refId"`
		Fields []struct{ Name string }
		Meta   *struct {
			Custom struct {
				Live struct{ Channel string }
			}
			Executed string `json:"executedQueryString"`
			Notices  []struct{ Text string }
		}
	} `json:"schema"`
	Data *struct {
		Values [][]json.RawMessage `json:"values"`
	} `json:"data"`
}

func (p *packets) Send(sp *backend.StreamPacket) error {
	var pk packet
	if err := json.Unmarshal(sp.Data, &pk); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, pk)
	return nil
}

func (p *packets) all() []packet {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]packet(nil), p.got...)
}

// times lists the row times of a packet, in Unix milliseconds.
func (pk packet) times(t *testing.T) []int64 {
	if pk.Data == nil || len(pk.Data.Values) == 0 {
		return nil
	}
	out := make([]int64, len(pk.Data.Values[0]))
	for i, raw := range pk.Data.Values[0] {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("time %s: %v", raw, err)
		}
	}
	return out
}

// sub is what a live query's answer gives the frontend to subscribe
// with: the channel's path and the subscription data.
type sub struct {
	path string
	data json.RawMessage
}

// liveQuery runs a live query over the last two seconds with no org in
// the plugin context (org "org-0", as every query of these tests) and
// returns its channel and its newest time (Unix ms).
func liveQuery(t *testing.T, inst instancemgmt.Instance, model string) (sub, int64) {
	return liveQueryIn(t, inst, "", model)
}

// Grafana puts the panel's resolution in the model, as the frontend sends
// it, and in the DataQuery's fields; so does liveQueryIn.
func liveQueryIn(t *testing.T, inst instancemgmt.Instance, org string, model string) (sub, int64) {
	t.Helper()
	model = fmt.Sprintf(`{"intervalMs":%d,"maxDataPoints":1000,`, step.Milliseconds()) + strings.TrimPrefix(model, "{")
	now := time.Now()
	dq := backend.DataQuery{RefID: "A", JSON: json.RawMessage(model), MaxDataPoints: 1000, Interval: step,
		TimeRange: backend.TimeRange{From: now.Add(-2 * time.Second), To: now}}
	res, err := inst.(backend.QueryDataHandler).QueryData(context.Background(), &backend.QueryDataRequest{
		PluginContext: backend.PluginContext{Namespace: org}, Queries: []backend.DataQuery{dq}})
	if err != nil {
		t.Fatal(err)
	}
	dr := res.Responses["A"]
	if dr.Error != nil {
		t.Fatal(dr.Error)
	}
	if len(dr.Frames) != 1 {
		t.Fatalf("a live query answered %d frames, want one", len(dr.Frames))
	}
	f := dr.Frames[0]
	m, ok := live.MetaOf(f)
	if !ok || !strings.HasPrefix(m.Channel, "ds/test/live/") || f.Meta.Channel != "" {
		t.Fatalf("a live query's frame has meta %+v; want its channel in meta.custom.live, not in meta.channel", f.Meta)
	}
	if string(m.Data) != model {
		t.Errorf("the subscription data is %s, want the query's model as received, %s", m.Data, model)
	}
	newest := f.Fields[0].At(f.Rows() - 1).(time.Time).UnixMilli()
	return sub{path: strings.TrimPrefix(m.Channel, "ds/test/"), data: m.Data}, newest
}

// stream subscribes with the query's data and runs RunStream until stop
// returns true, then cancels it and checks that it returns within one
// interval. A second subscriber, once the stream runs, gets its schema
// as initial data.
func stream(t *testing.T, inst instancemgmt.Instance, s sub, stop func([]packet) bool) []packet {
	t.Helper()
	h := inst.(backend.StreamHandler)
	res, err := h.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: s.path, Data: s.data})
	if err != nil || res.Status != backend.SubscribeStreamStatusOK || res.InitialData != nil {
		t.Fatalf("SubscribeStream = %+v, %v; want OK, and no initial data while no stream runs", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &packets{}
	done := make(chan error, 1)
	go func() {
		done <- h.RunStream(ctx, &backend.RunStreamRequest{Path: s.path, Data: s.data}, backend.NewStreamSender(rec))
	}()
	deadline := time.Now().Add(10 * time.Second)
	joined := false
	for !stop(rec.all()) {
		if time.Now().After(deadline) {
			t.Fatalf("the stream did not get there in 10 s; it sent %d packets", len(rec.all()))
		}
		if !joined && len(rec.all()) > 0 {
			joined = true
			checkJoin(t, h, s)
		}
		time.Sleep(step / 4)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunStream returned %v after cancellation, want nil", err)
		}
	case <-time.After(step):
		t.Error("RunStream did not return within one interval of its context ending")
	}
	return rec.all()
}

// checkJoin subscribes to a running stream: its initial data is the
// schema alone, with the query's refId and channel.
func checkJoin(t *testing.T, h backend.StreamHandler, s sub) {
	t.Helper()
	res, err := h.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: s.path, Data: s.data})
	if err != nil || res.Status != backend.SubscribeStreamStatusOK || res.InitialData == nil {
		t.Fatalf("SubscribeStream to a running stream = %+v, %v; want OK with its schema", res, err)
	}
	var initial packet
	if err := json.Unmarshal(res.InitialData.Data(), &initial); err != nil || initial.Schema == nil || initial.Data != nil {
		t.Fatalf("initial data %s is not the schema alone (%v)", res.InitialData.Data(), err)
	}
	if initial.Schema.RefID != "A" || initial.Schema.Meta == nil || initial.Schema.Meta.Custom.Live.Channel != "ds/test/"+s.path {
		t.Errorf("the initial schema %s lacks the query's refId or channel", res.InitialData.Data())
	}
}

// checkSequence checks that the packets' rows continue the query's answer
// one step at a time once the rows a subscriber holds are dropped, as the
// frontend drops them: the first packet may repeat the answer (a stream
// knows nothing of what its subscribers hold), later ones never, and
// nothing is missing.
func checkSequence(t *testing.T, got []packet, after int64) int {
	t.Helper()
	rows := 0
	for i, pk := range got {
		for _, ts := range pk.times(t) {
			if i == 0 && ts <= after {
				continue
			}
			if ts != after+step.Milliseconds() {
				t.Fatalf("packet %d: row at %d follows %d; want one step later (no gap, no duplicate)", i, ts, after)
			}
			after = ts
			rows++
		}
	}
	return rows
}

// rowsIn counts the rows the stream sent after its first packet, which
// repeats the query's answer.
func rowsIn(got []packet) int {
	n := 0
	for _, pk := range got[min(1, len(got)):] {
		if pk.Data != nil && len(pk.Data.Values) > 0 {
			n += len(pk.Data.Values[0])
		}
	}
	return n
}

func TestRunStreamSendsNewPoints(t *testing.T) {
	svc := &clockService{}
	inst := instance(t, serve(t, svc).URL, `{"liveMinIntervalSeconds":0.1}`, nil)
	s, newest := liveQuery(t, inst, `{"target":"ticks","live":true}`)
	got := stream(t, inst, s, func(p []packet) bool { return rowsIn(p) >= 10 })
	if rows := checkSequence(t, got, newest); rows < 10 {
		t.Errorf("%d rows", rows)
	}
	if s := got[0].Schema; s == nil || s.RefID != "A" || s.Meta == nil || !strings.HasPrefix(s.Meta.Executed, "POST ") {
		t.Error("the first packet has no schema, or one without the query's refId and the request sent")
	}
	for i, pk := range got[1:] {
		if pk.Schema != nil {
			t.Errorf("packet %d carries the schema again", i+1)
		}
	}
}

// The service fails mid-stream: the panel is told, the stream keeps
// polling, and once the service is back the points of the outage arrive
// too, without a resubscribe.
func TestRunStreamSurvivesAFailingService(t *testing.T) {
	svc := &clockService{}
	inst := instance(t, serve(t, svc).URL, `{"liveMinIntervalSeconds":0.1}`, nil)
	s, newest := liveQuery(t, inst, `{"target":"ticks","live":true}`)
	phase := 0
	got := stream(t, inst, s, func(p []packet) bool {
		switch {
		case phase == 0 && rowsIn(p) >= 3:
			svc.failing.Store(true)
			phase = 1
		case phase == 1 && hasNotice(p, "503"):
			time.Sleep(3 * step)
			svc.failing.Store(false)
			phase = 2
		case phase == 2:
			return rowsIn(p) >= 12
		}
		return false
	})
	checkSequence(t, got, newest)
	if !hasNotice(got, "maintenance") {
		t.Error("no packet told the panel why the stream stopped moving")
	}
	last := got[len(got)-1]
	if last.Schema != nil && last.Schema.Meta != nil && len(last.Schema.Meta.Notices) > 0 {
		t.Error("the notice is still on the panel after recovery")
	}
}

func hasNotice(got []packet, text string) bool {
	for _, pk := range got {
		if pk.Schema != nil && pk.Schema.Meta != nil {
			for _, n := range pk.Schema.Meta.Notices {
				if strings.Contains(n.Text, text) {
					return true
				}
			}
		}
	}
	return false
}

// A subscription runs only the query it carries, on the path that
// query hashes to for its org and data source; anything else is refused
// with a status, and RunStream ends with the reason.
func TestStreamRefusals(t *testing.T) {
	svc := &clockService{}
	url := serve(t, svc).URL
	inst := instance(t, url, `{}`, nil)
	mine, _ := liveQuery(t, inst, `{"target":"ticks","live":true}`)
	h := inst.(backend.StreamHandler)
	other := `{"target":"secrets","live":true}`
	otherPath, _ := live.Path("org-0", "test", json.RawMessage(other))
	notLive := `{"target":"ticks"}`
	notLivePath, _ := live.Path("org-0", "test", json.RawMessage(notLive))
	table := `{"target":"ticks","live":true,"format":"table"}`
	tablePath, _ := live.Path("org-0", "test", json.RawMessage(table))
	past := `{"target":"ticks","live":true,"rangeRaw":{"from":"now-2h","to":"now-1h"}}`
	pastPath, _ := live.Path("org-0", "test", json.RawMessage(past))
	for _, tt := range []struct {
		name string
		org  string
		path string
		data string
		want backend.SubscribeStreamStatus
	}{
		{"its own query", "", mine.path, string(mine.data), backend.SubscribeStreamStatusOK},
		{"its own query, reformatted", "", mine.path, indent(mine.data), backend.SubscribeStreamStatusOK},
		{"another query on its path", "", mine.path, other, backend.SubscribeStreamStatusPermissionDenied},
		{"its query on another path", "", otherPath, string(mine.data), backend.SubscribeStreamStatusPermissionDenied},
		{"another org's channel", "org-2", mine.path, string(mine.data), backend.SubscribeStreamStatusPermissionDenied},
		{"no data", "", mine.path, "", backend.SubscribeStreamStatusNotFound},
		{"a query without live", "", notLivePath, notLive, backend.SubscribeStreamStatusNotFound},
		{"a table", "", tablePath, table, backend.SubscribeStreamStatusNotFound},
		{"a range in the past", "", pastPath, past, backend.SubscribeStreamStatusNotFound},
		{"malformed", "", "live/../../x", string(mine.data), backend.SubscribeStreamStatusNotFound},
		{"empty", "", "", string(mine.data), backend.SubscribeStreamStatusNotFound},
	} {
		pc := backend.PluginContext{Namespace: tt.org}
		res, err := h.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{PluginContext: pc, Path: tt.path, Data: json.RawMessage(tt.data)})
		if err != nil || res.Status != tt.want {
			t.Errorf("%s: SubscribeStream = %+v, %v; want %v", tt.name, res, err, tt.want)
		}
		if tt.want == backend.SubscribeStreamStatusOK || tt.data == "" {
			continue
		}
		rec := &packets{}
		err = h.RunStream(context.Background(), &backend.RunStreamRequest{PluginContext: pc, Path: tt.path, Data: json.RawMessage(tt.data)}, backend.NewStreamSender(rec))
		if err == nil || len(rec.all()) != 0 {
			t.Errorf("%s: RunStream = %v after %d packets, want a refusal at once", tt.name, err, len(rec.all()))
		}
	}
	if n := svc.polls.Load(); n != 1 {
		t.Errorf("the service saw %d calls, want 1 (the query): a refused stream polled", n)
	}
	// A panel subscribed by an older frontend, without data, run again
	// after a restart: one frame that says to refresh, then the end.
	gone := &packets{}
	if err := h.RunStream(context.Background(), &backend.RunStreamRequest{Path: mine.path}, backend.NewStreamSender(gone)); err != nil {
		t.Errorf("RunStream without data = %v, want it to say so on the panel and end", err)
	}
	if got := gone.all(); len(got) != 1 || !hasNotice(got, "refresh the panel") {
		t.Errorf("RunStream without data sent %d packets, want one with a notice to refresh", len(got))
	}
	if res, _ := h.PublishStream(context.Background(), &backend.PublishStreamRequest{Path: mine.path}); res.Status != backend.PublishStreamStatusPermissionDenied {
		t.Errorf("PublishStream = %v, want denied", res.Status)
	}

	// Forwarding the user's identity: no live query, no subscription.
	fwd := instance(t, url, `{"oauthPassThru":true}`, nil)
	dr := query(t, fwd, nil, dataQuery("A", `{"target":"ticks","live":true}`)).Responses["A"]
	if dr.Error == nil || !strings.Contains(dr.Error.Error(), "forwards the signed-in user's identity") || dr.Status != backend.StatusBadRequest {
		t.Errorf("live query while forwarding: %v (%v)", dr.Error, dr.Status)
	}
	if res, _ := fwd.(backend.StreamHandler).SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: mine.path, Data: mine.data}); res.Status != backend.SubscribeStreamStatusPermissionDenied {
		t.Errorf("SubscribeStream while forwarding = %v, want denied", res.Status)
	}

	// Settings that do not validate: nothing runs, and RunStream says why.
	bad := instance(t, url, `{"timeout":-1}`, nil).(backend.StreamHandler)
	if res, _ := bad.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: mine.path, Data: mine.data}); res.Status != backend.SubscribeStreamStatusNotFound {
		t.Errorf("SubscribeStream with invalid settings = %v, want not found", res.Status)
	}
	if err := bad.RunStream(context.Background(), &backend.RunStreamRequest{Path: mine.path, Data: mine.data}, nil); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("RunStream with invalid settings = %v", err)
	}
}

func indent(b []byte) string {
	var out bytes.Buffer
	_ = json.Indent(&out, b, "", "  ")
	return out.String()
}

// A channel needs nothing of the instance that answered its query: an
// instance that never saw it (another process, a restarted one) streams
// it from the subscription data alone, with no gap after the answer.
func TestStreamOnAnInstanceThatNeverSawTheQuery(t *testing.T) {
	svc := &clockService{}
	url := serve(t, svc).URL
	answered := instance(t, url, `{"liveMinIntervalSeconds":0.1}`, nil)
	s, newest := liveQuery(t, answered, `{"target":"ticks","live":true}`)
	fresh := instance(t, url, `{"liveMinIntervalSeconds":0.1}`, nil)
	got := stream(t, fresh, s, func(p []packet) bool { return rowsIn(p) >= 5 })
	if rows := checkSequence(t, got, newest); rows < 5 {
		t.Errorf("%d rows after the answer", rows)
	}
}

// Two orgs with the same data source uid and the same query get two
// channels, and neither may subscribe to the other's.
func TestStreamOrgsApart(t *testing.T) {
	inst := instance(t, serve(t, &clockService{}).URL, `{}`, nil)
	one, _ := liveQueryIn(t, inst, "default", `{"target":"ticks","live":true}`)
	two, _ := liveQueryIn(t, inst, "org-2", `{"target":"ticks","live":true}`)
	if one.path == two.path {
		t.Fatal("two orgs' same query got the same channel")
	}
	h := inst.(backend.StreamHandler)
	for _, tt := range []struct {
		org  string
		s    sub
		want backend.SubscribeStreamStatus
	}{
		{"default", one, backend.SubscribeStreamStatusOK},
		{"org-2", two, backend.SubscribeStreamStatusOK},
		{"org-2", one, backend.SubscribeStreamStatusPermissionDenied},
		{"default", two, backend.SubscribeStreamStatusPermissionDenied},
	} {
		res, err := h.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{PluginContext: backend.PluginContext{Namespace: tt.org}, Path: tt.s.path, Data: tt.s.data})
		if err != nil || res.Status != tt.want {
			t.Errorf("org %s subscribing to %s: %+v, %v; want %v", tt.org, tt.s.path, res, err, tt.want)
		}
	}
}

// A live query whose range ends before now gets ordinary frames and a
// notice saying why it is not live, whatever the model says.
func TestLiveQueryOverAPastRange(t *testing.T) {
	inst := instance(t, serve(t, &clockService{}).URL, `{}`, nil)
	now := time.Now()
	for _, tt := range []struct {
		name     string
		from, to time.Time
		live     bool
	}{
		{"ending now", now.Add(-time.Second), now, true},
		{"ending an hour ago", now.Add(-2 * time.Hour), now.Add(-time.Hour), false},
	} {
		dq := backend.DataQuery{RefID: "A", JSON: json.RawMessage(`{"target":"ticks","live":true}`), MaxDataPoints: 100, Interval: step,
			TimeRange: backend.TimeRange{From: tt.from, To: tt.to}}
		dr := query(t, inst, nil, dq).Responses["A"]
		if dr.Error != nil || len(dr.Frames) == 0 {
			t.Fatalf("%s: %v", tt.name, dr.Error)
		}
		_, streams := live.MetaOf(dr.Frames[0])
		notice := false
		if m := dr.Frames[0].Meta; m != nil {
			for _, n := range m.Notices {
				notice = notice || strings.Contains(n.Text, "before now")
			}
		}
		if streams != tt.live || notice == tt.live {
			t.Errorf("%s: channel %v, notice %v; want a channel %v and a notice %v", tt.name, streams, notice, tt.live, !tt.live)
		}
	}
}
