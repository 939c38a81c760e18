package plugin

import (
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
			Channel  string
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

// liveQuery runs a live query over the last two seconds and returns the
// channel path its frame names and its newest time (Unix ms).
func liveQuery(t *testing.T, inst instancemgmt.Instance, model string) (string, int64) {
	t.Helper()
	now := time.Now()
	dq := backend.DataQuery{RefID: "A", JSON: json.RawMessage(model), MaxDataPoints: 1000, Interval: step,
		TimeRange: backend.TimeRange{From: now.Add(-2 * time.Second), To: now}}
	dr := query(t, inst, nil, dq).Responses["A"]
	if dr.Error != nil {
		t.Fatal(dr.Error)
	}
	if len(dr.Frames) != 1 || dr.Frames[0].Meta == nil || !strings.HasPrefix(dr.Frames[0].Meta.Channel, "ds/test/live/") {
		t.Fatalf("a live query answered %d frames, the first without a channel", len(dr.Frames))
	}
	f := dr.Frames[0]
	newest := f.Fields[0].At(f.Rows() - 1).(time.Time).UnixMilli()
	return strings.TrimPrefix(f.Meta.Channel, "ds/test/"), newest
}

// stream runs RunStream for d until stop returns true, then cancels it
// and checks that it returns within one interval.
func stream(t *testing.T, inst instancemgmt.Instance, path string, stop func([]packet) bool) []packet {
	t.Helper()
	h := inst.(backend.StreamHandler)
	sub, err := h.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: path})
	if err != nil || sub.Status != backend.SubscribeStreamStatusOK || sub.InitialData == nil {
		t.Fatalf("SubscribeStream = %+v, %v; want OK with the schema", sub, err)
	}
	var initial packet
	if err := json.Unmarshal(sub.InitialData.Data(), &initial); err != nil || initial.Schema == nil || initial.Data != nil {
		t.Fatalf("initial data %s is not the schema alone (%v)", sub.InitialData.Data(), err)
	}
	if initial.Schema.RefID != "A" || initial.Schema.Meta == nil || initial.Schema.Meta.Channel != "ds/test/"+path {
		t.Errorf("the initial schema %s lacks the query's refId or channel", sub.InitialData.Data())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &packets{}
	done := make(chan error, 1)
	go func() { done <- h.RunStream(ctx, &backend.RunStreamRequest{Path: path}, backend.NewStreamSender(rec)) }()
	deadline := time.Now().Add(10 * time.Second)
	for !stop(rec.all()) {
		if time.Now().After(deadline) {
			t.Fatalf("the stream did not get there in 10 s; it sent %d packets", len(rec.all()))
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

// checkSequence checks that the packets' rows continue the query's answer
// one step at a time: in order, no duplicates, no gaps.
func checkSequence(t *testing.T, got []packet, after int64) int {
	t.Helper()
	rows := 0
	for i, pk := range got {
		for _, ts := range pk.times(t) {
			if ts != after+step.Milliseconds() {
				t.Fatalf("packet %d: row at %d follows %d; want one step later (no gap, no duplicate)", i, ts, after)
			}
			after = ts
			rows++
		}
	}
	return rows
}

func rowsIn(got []packet) int {
	n := 0
	for _, pk := range got {
		if pk.Data != nil && len(pk.Data.Values) > 0 {
			n += len(pk.Data.Values[0])
		}
	}
	return n
}

func TestRunStreamSendsNewPoints(t *testing.T) {
	svc := &clockService{}
	inst := instance(t, serve(t, svc).URL, `{"liveMinIntervalSeconds":0.1}`, nil)
	path, newest := liveQuery(t, inst, `{"target":"ticks","live":true}`)
	got := stream(t, inst, path, func(p []packet) bool { return rowsIn(p) >= 10 })
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
	path, newest := liveQuery(t, inst, `{"target":"ticks","live":true}`)
	phase := 0
	got := stream(t, inst, path, func(p []packet) bool {
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

func TestStreamRefusals(t *testing.T) {
	svc := &clockService{}
	url := serve(t, svc).URL
	inst := instance(t, url, `{}`, nil)
	path, _ := liveQuery(t, inst, `{"target":"ticks","live":true}`)
	h := inst.(backend.StreamHandler)
	other := instance(t, url, `{}`, nil) // same uid "test": the channel is its own
	for _, tt := range []struct {
		name string
		path string
		want backend.SubscribeStreamStatus
	}{
		{"known", path, backend.SubscribeStreamStatusOK},
		{"unknown", "live/AAAAAAAAAAAAAAAAAAAAAA", backend.SubscribeStreamStatusNotFound},
		{"malformed", "live/../../x", backend.SubscribeStreamStatusNotFound},
		{"empty", "", backend.SubscribeStreamStatusNotFound},
	} {
		res, err := h.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: tt.path})
		if err != nil || res.Status != tt.want {
			t.Errorf("%s: SubscribeStream = %+v, %v; want %v", tt.name, res, err, tt.want)
		}
	}
	if err := h.RunStream(context.Background(), &backend.RunStreamRequest{Path: "live/nope"}, backend.NewStreamSender(&packets{})); err == nil {
		t.Error("RunStream ran a malformed channel")
	}
	// A channel the plugin does not hold (as after a restart, when Grafana
	// runs the streams of open panels again): one frame that says to
	// refresh, then the end.
	gone := &packets{}
	if err := h.RunStream(context.Background(), &backend.RunStreamRequest{Path: "live/AAAAAAAAAAAAAAAAAAAAAA"}, backend.NewStreamSender(gone)); err != nil {
		t.Errorf("RunStream of an unknown channel = %v, want it to say so on the panel and end", err)
	}
	if got := gone.all(); len(got) != 1 || !hasNotice(got, "refresh the panel") || rowsIn(got) != 0 {
		t.Errorf("RunStream of an unknown channel sent %d packets, want one with a notice to refresh", len(got))
	}
	if res, _ := other.(backend.StreamHandler).PublishStream(context.Background(), &backend.PublishStreamRequest{Path: path}); res.Status != backend.PublishStreamStatusPermissionDenied {
		t.Errorf("PublishStream = %v, want denied", res.Status)
	}

	// Forwarding the user's identity: no live query, no subscription.
	fwd := instance(t, url, `{"oauthPassThru":true}`, nil)
	dr := query(t, fwd, nil, dataQuery("A", `{"target":"ticks","live":true}`)).Responses["A"]
	if dr.Error == nil || !strings.Contains(dr.Error.Error(), "forwards the signed-in user's identity") || dr.Status != backend.StatusBadRequest {
		t.Errorf("live query while forwarding: %v (%v)", dr.Error, dr.Status)
	}
	if res, _ := fwd.(backend.StreamHandler).SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: path}); res.Status != backend.SubscribeStreamStatusPermissionDenied {
		t.Errorf("SubscribeStream while forwarding = %v, want denied", res.Status)
	}

	// Settings that do not validate: nothing runs, and RunStream says why.
	bad := instance(t, url, `{"timeout":-1}`, nil).(backend.StreamHandler)
	if res, _ := bad.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: path}); res.Status != backend.SubscribeStreamStatusNotFound {
		t.Errorf("SubscribeStream with invalid settings = %v, want not found", res.Status)
	}
	if err := bad.RunStream(context.Background(), &backend.RunStreamRequest{Path: path}, nil); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("RunStream with invalid settings = %v", err)
	}
}
