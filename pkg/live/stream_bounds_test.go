package live

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// clockService is a service with its own clock, a second further on each
// poll; answer makes a poll's series from the poll's number and time.
type clockService struct {
	mu      sync.Mutex
	now     time.Time
	polls   int
	windows [][2]time.Time
	answer  func(poll int, now time.Time) *frames.Answer
}

func (c *clockService) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clockService) poll(_ context.Context, q *models.Query) (*frames.Answer, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.polls++
	c.windows = append(c.windows, [2]time.Time{q.From, q.To})
	ans := c.answer(c.polls, c.now)
	c.now = c.now.Add(time.Second)
	return ans, "POST /query", nil
}

func (c *clockService) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.polls
}

// runClocked streams q from svc until it has made polls polls.
func runClocked(t *testing.T, q *models.Query, maxSeries int, svc *clockService, rec *recorder, polls int) {
	t.Helper()
	e := NewEntry("ds", "live/x", q, time.Time{})
	s := &Stream{Entry: e, MinInterval: time.Millisecond, MaxSeries: maxSeries, Poll: svc.poll, Logger: log.NewNullLogger(), Now: svc.clock}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rec) }()
	deadline := time.Now().Add(30 * time.Second)
	for svc.count() < polls && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if svc.count() < polls {
		t.Fatalf("%d polls in 30 s, want %d", svc.count(), polls)
	}
}

// An upstream whose pod label changes every poll: each series sends one
// point and is never seen again. Over 600 polls every packet, data-only
// included, carries only the series of the panel's span (30 s), or
// maxSeries when that is lower, and never the 600 the stream has seen.
func TestStreamForgetsSeriesThatChurn(t *testing.T) {
	for _, tt := range []struct {
		name       string
		maxSeries  int
		wantFields int // at most, time field included
	}{
		{"idle series leave after the panel's span", 10_000, 1 + 31 + 1},
		{"maxSeries caps the frame", 5, 1 + 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := &clockService{now: t0, answer: func(poll int, now time.Time) *frames.Answer {
				return answer(&frames.Series{Name: "up", Labels: data.Labels{"pod": fmt.Sprintf("p%d", poll)},
					Time: data.NewField("Time", nil, []time.Time{now}), Value: data.NewField("", nil, []float64{1})})
			}}
			rec := &recorder{}
			q := &models.Query{RefID: "A", Target: "up", IntervalMs: 1, From: t0.Add(-30 * time.Second), To: t0}
			runClocked(t, q, tt.maxSeries, svc, rec, 600)
			most, leftOut := 0, false
			for _, f := range rec.all() {
				most = max(most, f.fields)
				for _, n := range f.notices {
					leftOut = leftOut || len(n) > 0 && f.include == data.IncludeAll
				}
			}
			if most > tt.wantFields || most < 3 {
				t.Errorf("a packet had %d fields over %d polls, want at most %d", most, svc.count(), tt.wantFields)
			}
			if leftOut != (tt.maxSeries < 31) {
				t.Errorf("a notice about series left out: %v, want %v", leftOut, tt.maxSeries < 31)
			}
		})
	}
}

// One point stamped a day ahead, then normal points: the stream leaves
// that point out, its windows never invert, and every later point
// arrives.
func TestStreamGoesOnAfterAPointADayAhead(t *testing.T) {
	svc := &clockService{now: t0, answer: func(poll int, now time.Time) *frames.Answer {
		at := now.Add(-time.Millisecond)
		if poll == 3 {
			at = now.Add(24 * time.Hour)
		}
		return answer(&frames.Series{Name: "up", Time: data.NewField("Time", nil, []time.Time{at}), Value: data.NewField("", nil, []float64{float64(poll)})})
	}}
	rec := &recorder{}
	q := &models.Query{RefID: "A", Target: "up", IntervalMs: 1, From: t0.Add(-time.Hour), To: t0}
	runClocked(t, q, 10_000, svc, rec, 20)
	var got []time.Time
	for _, f := range rec.all() {
		got = append(got, f.times...)
	}
	if len(got) < 15 {
		t.Fatalf("%d points arrived over %d polls after a point a day ahead, want every later one: %v", len(got), svc.count(), got)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].After(got[i-1]) || got[i].After(t0.Add(time.Hour)) {
			t.Errorf("point %d at %v after %v", i, got[i], got[i-1])
		}
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	for i, w := range svc.windows {
		if w[0].After(w[1]) {
			t.Errorf("poll %d asked for %v to %v: an inverted range", i+1, w[0], w[1])
		}
	}
}
