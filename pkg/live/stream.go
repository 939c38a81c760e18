package live

import (
	"context"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// MaxBackoff caps the wait after failed polls, unless the interval itself
// is longer: a service that is back should show data within half a minute.
const MaxBackoff = 30 * time.Second

// Poll asks the service for a query's answer over a window and returns
// it with the request as sent, for the query inspector; the plugin passes
// its pipeline's uncached call.
type Poll func(ctx context.Context, q *models.Query) (ans *frames.Answer, sent string, err error)

// Sender is the part of the SDK's StreamSender a stream uses.
type Sender interface {
	SendFrame(frame *data.Frame, include data.FrameInclude) error
}

// Stream polls one channel's query and sends what is new.
type Stream struct {
	Entry *Entry
	// MinInterval is the data source's floor on the poll interval.
	MinInterval time.Duration
	// MaxSeries is the data source's "Maximum series", which bounds the
	// series the stream's frame carries too.
	MaxSeries int
	Poll      Poll
	Logger    log.Logger
	// Now is the clock; tests may set it.
	Now func() time.Time
}

// Interval is how often the stream polls: the panel's interval, but never
// more often than the floor.
func (s *Stream) Interval() time.Duration {
	return max(time.Duration(s.Entry.query.IntervalMs)*time.Millisecond, s.MinInterval)
}

// backoff is the wait after the n-th failure in a row: the interval
// doubled each time, up to MaxBackoff (or the interval, if longer).
func backoff(interval time.Duration, n int) time.Duration {
	limit := max(MaxBackoff, interval)
	d := interval
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Run polls until ctx ends, then returns nil; it returns early only when
// Grafana stops taking frames. Each poll asks for the window from the
// newest point sent to now. The first frame, and the first after the set
// of series changed or after a failure, carries the schema; the others
// carry data only. A failed poll sends a frame with no rows and the error
// as a notice, so the panel says why it stopped moving; the stream then
// backs off and recovers by itself.
func (s *Stream) Run(ctx context.Context, sender Sender) error {
	e := s.Entry
	e.mu.Lock()
	e.running++
	if e.layout == nil {
		e.layout = NewLayout(e.query.Alias)
	}
	layout, newest := e.layout.clone(), e.newest
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running--
		e.mu.Unlock()
	}()

	now := s.Now
	if now == nil {
		now = time.Now
	}
	layout.Bound(BoundsFor(&e.query, s.MaxSeries))
	interval := s.Interval()
	// A stream that starts long after its query ran (or resumes after a
	// long outage) catches up over at most the query's own span.
	span := e.query.To.Sub(e.query.From)
	schemaSent, failures, sent := false, 0, ""
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		started := now()
		q := e.query
		// The newest point sent may be up to FutureAllowance ahead of the
		// clock; the window then starts now rather than after its end.
		q.From, q.To = newest, started
		if newest.IsZero() || started.Sub(newest) > span {
			q.From = started.Add(-span)
		}
		if q.From.After(started) {
			q.From = started
		}
		q.RangeRaw.From, q.RangeRaw.To = "", ""
		ans, polled, err := s.Poll(ctx, &q)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			wait := backoff(interval, failures)
			text := fmt.Sprintf("live: polling the service failed (%v); retrying in %s", err, wait.Round(time.Millisecond))
			s.Logger.Warn("live poll failed", "target", q.Target, "error", err.Error(), "failures", failures, "retryIn", wait.String())
			notice := e.Dress(layout.Schema(), sent)
			notice.AppendNotices(data.Notice{Severity: data.NoticeSeverityError, Text: text})
			if err := sender.SendFrame(notice, data.IncludeAll); err != nil {
				return err
			}
			schemaSent = false // the next frame clears the notice
			timer.Reset(wait)
			continue
		}
		failures, sent = 0, polled
		cut := layout.Cut(ans, newest, now())
		if cut.Late > 0 || cut.Future > 0 {
			s.Logger.Debug("live poll: points left out", "target", q.Target, "late", cut.Late, "future", cut.Future, "newestSent", newest)
		}
		include := data.IncludeDataOnly
		if !schemaSent || cut.SchemaChanged {
			include = data.IncludeAll
			e.Dress(cut.Frame, sent)
		}
		if cut.Frame.Rows() > 0 || include == data.IncludeAll {
			if err := sender.SendFrame(cut.Frame, include); err != nil {
				return err
			}
			schemaSent = true
		}
		newest = cut.Newest
		e.mu.Lock()
		e.layout, e.newest = layout.clone(), newest
		e.mu.Unlock()
		timer.Reset(max(0, interval-now().Sub(started)))
	}
}
