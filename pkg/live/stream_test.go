package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// sent is one frame a stream sent.
type sent struct {
	include                  data.FrameInclude
	times                    []time.Time
	fields                   int
	notices                  []string
	refID, channel, executed string
}

type recorder struct {
	mu     sync.Mutex
	frames []sent
	fail   error
}

func (r *recorder) SendFrame(f *data.Frame, include data.FrameInclude) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	s := sent{include: include, fields: len(f.Fields), refID: f.RefID}
	for i := 0; i < f.Rows(); i++ {
		s.times = append(s.times, f.Fields[0].At(i).(time.Time))
	}
	if f.Meta != nil {
		m, _ := MetaOf(f)
		s.channel, s.executed = m.Channel, f.Meta.ExecutedQueryString
		for _, n := range f.Meta.Notices {
			s.notices = append(s.notices, n.Text)
		}
	}
	r.frames = append(r.frames, s)
	return nil
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.frames...)
}

// service answers each poll with one more point per series than the
// last (a point per second after t0), fails the polls listed in failOn,
// and adds series "new" from the poll listed in newOn.
type service struct {
	mu      sync.Mutex
	polls   int
	windows [][2]time.Time
	failOn  map[int]bool
	newOn   int
}

func (s *service) poll(_ context.Context, q *models.Query) (*frames.Answer, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls++
	s.windows = append(s.windows, [2]time.Time{q.From, q.To})
	if s.failOn[s.polls] {
		return nil, "", errors.New("503 Service Unavailable")
	}
	offsets := make([]int, s.polls+1)
	for i := range offsets {
		offsets[i] = i
	}
	out := answer(series("cpu", data.Labels{"region": "eu"}, offsets...))
	if s.newOn > 0 && s.polls >= s.newOn {
		out.Series = append(out.Series, series("new", nil, offsets...))
	}
	return out, fmt.Sprintf("POST /query #%d", s.polls), nil
}

func (s *service) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// run starts a stream of a fresh channel that registered the answer up to
// t0 (one point), and returns when it has made polls polls.
func run(t *testing.T, svc *service, rec *recorder, polls int) {
	t.Helper()
	q := &models.Query{RefID: "A", Target: "cpu", IntervalMs: 1, From: t0.Add(-time.Hour), To: t0}
	l := NewLayout("")
	cut := l.Cut(answer(series("cpu", data.Labels{"region": "eu"}, 0)), time.Time{}, later)
	e := NewEntry("ds", "live/x", q, cut.Newest)
	e.layout = l
	s := &Stream{Entry: e, MinInterval: time.Millisecond, Poll: svc.poll, Logger: log.NewNullLogger(),
		Now: func() time.Time { return t0.Add(time.Minute) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rec) }()
	deadline := time.Now().Add(10 * time.Second)
	for svc.count() < polls && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v after its context ended, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return within a second of its context ending")
	}
	if e.running != 0 {
		t.Errorf("the entry still counts %d streams after Run returned", e.running)
	}
}

// Every point arrives once, in order, with no gap; the schema goes out
// first, then data only.
func TestStreamSendsEachPointOnce(t *testing.T) {
	svc, rec := &service{}, &recorder{}
	run(t, svc, rec, 20)
	got := rec.all()
	if len(got) == 0 || got[0].include != data.IncludeAll {
		t.Fatalf("first frame %+v, want the schema", got)
	}
	// Grafana takes a schema's refId and metadata for the panel's frame.
	if f := got[0]; f.refID != "A" || !strings.HasPrefix(f.channel, "ds/ds/live/") || f.executed != "POST /query #1" {
		t.Errorf("the schema frame has refId %q, channel %q, executed query %q; want the query's", f.refID, f.channel, f.executed)
	}
	next := t0.Add(time.Second) // t0 itself came with the query's answer
	for i, f := range got {
		if i > 0 && f.include != data.IncludeDataOnly {
			t.Errorf("frame %d carries the schema again (%v) though no series changed", i, f.include)
		}
		for _, ts := range f.times {
			if !ts.Equal(next) {
				t.Fatalf("frame %d: point at %v, want %v (no duplicates, no gaps)", i, ts.Sub(t0), next.Sub(t0))
			}
			next = next.Add(time.Second)
		}
	}
	if next.Sub(t0) < 10*time.Second {
		t.Errorf("only %v of points arrived over %d polls", next.Sub(t0), svc.count())
	}
	// Each poll asks from the newest point sent (poll n got points up to
	// t0+n seconds) to now.
	for i, w := range svc.windows {
		if from := t0.Add(time.Duration(i) * time.Second); !w[0].Equal(from) || !w[1].Equal(t0.Add(time.Minute)) {
			t.Errorf("poll %d asked for +%v to +%v, want +%v to +1m", i+1, w[0].Sub(t0), w[1].Sub(t0), from.Sub(t0))
		}
	}
}

// A failed poll is reported as a notice on an empty frame; the stream
// keeps going, clears the notice with the next frame and loses nothing.
func TestStreamReportsFailuresAndRecovers(t *testing.T) {
	svc, rec := &service{failOn: map[int]bool{3: true, 4: true}}, &recorder{}
	run(t, svc, rec, 8)
	got := rec.all()
	var failures, recovered int
	next := t0.Add(time.Second)
	for i, f := range got {
		if len(f.notices) > 0 {
			failures++
			if f.include != data.IncludeAll || len(f.times) != 0 || !strings.Contains(f.notices[0], "503 Service Unavailable") || !strings.Contains(f.notices[0], "retrying in") || f.refID != "A" {
				t.Errorf("failure frame %d = %+v", i, f)
			}
			continue
		}
		if i > 0 && len(got[i-1].notices) > 0 {
			recovered++
			if f.include != data.IncludeAll {
				t.Errorf("the frame after a failure (%d) has no schema, so the notice stays", i)
			}
		}
		for _, ts := range f.times {
			if !ts.Equal(next) {
				t.Fatalf("frame %d: point at %v, want %v", i, ts.Sub(t0), next.Sub(t0))
			}
			next = next.Add(time.Second)
		}
	}
	if failures != 2 || recovered != 1 {
		t.Errorf("%d failure frames and %d recoveries, want 2 and 1", failures, recovered)
	}
}

// A series that appears mid-stream brings the schema again.
func TestStreamSendsTheSchemaWhenASeriesAppears(t *testing.T) {
	svc, rec := &service{newOn: 5}, &recorder{}
	run(t, svc, rec, 8)
	schemas := 0
	for _, f := range rec.all() {
		if f.include == data.IncludeAll {
			schemas++
			if schemas == 2 && f.fields != 3 {
				t.Errorf("the second schema has %d fields, want time, cpu and new", f.fields)
			}
		}
	}
	if schemas != 2 {
		t.Errorf("%d schemas sent, want 2 (start, new series)", schemas)
	}
}

// When Grafana stops taking frames, the stream ends with that error.
func TestStreamEndsWhenGrafanaStopsTakingFrames(t *testing.T) {
	q := &models.Query{Target: "cpu", IntervalMs: 1, From: t0.Add(-time.Hour), To: t0}
	e := NewEntry("ds", "live/x", q, t0)
	s := &Stream{Entry: e, MinInterval: time.Millisecond, Poll: (&service{}).poll, Logger: log.NewNullLogger()}
	gone := errors.New("stream closed")
	if err := s.Run(context.Background(), &recorder{fail: gone}); !errors.Is(err, gone) {
		t.Errorf("Run = %v, want %v", err, gone)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{time.Second, 1, 2 * time.Second},
		{time.Second, 2, 4 * time.Second},
		{time.Second, 4, 16 * time.Second},
		{time.Second, 5, 30 * time.Second},
		{time.Second, 60, 30 * time.Second},
		{time.Minute, 1, time.Minute}, // an interval above the cap is the cap
		{20 * time.Second, 1, 30 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.interval, tt.failures); got != tt.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", tt.interval, tt.failures, got, tt.want)
		}
	}
}

func TestInterval(t *testing.T) {
	for _, tt := range []struct {
		intervalMs int64
		floor      time.Duration
		want       time.Duration
	}{
		{5000, time.Second, 5 * time.Second},
		{100, time.Second, time.Second},
		{100, 0, 100 * time.Millisecond},
	} {
		s := &Stream{Entry: &Entry{query: models.Query{IntervalMs: tt.intervalMs}}, MinInterval: tt.floor}
		if got := s.Interval(); got != tt.want {
			t.Errorf("interval %dms, floor %v: %v, want %v", tt.intervalMs, tt.floor, got, tt.want)
		}
	}
}
