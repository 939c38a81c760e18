package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// NowSlack is how far before now a range may end and still stream: the
// moment Grafana resolved "now" is a little before the plugin sees it.
const NowSlack = time.Minute

// DefaultSpan is a stream's catch-up window when its model says neither
// its range (rangeRaw) nor its resolution (intervalMs and maxDataPoints).
const DefaultSpan = time.Hour

// ErrPastRange is a live query whose range ends before now: new points
// would fall outside it, so it does not stream.
var ErrPastRange = errors.New("the query's time range ends before now, so new points would fall outside it")

// ReachesNow tells whether a range ending at to takes new points.
func ReachesNow(to, now time.Time) bool { return !to.Before(now.Add(-NowSlack)) }

// envelope is what a stream reads of its model beyond what
// models.ParseQuery reads: Grafana puts the panel's resolution next to
// the query (intervalMs, maxDataPoints), and this plugin's frontend the
// range as the user picked it (rangeRaw).
type envelope struct {
	RefID         string          `json:"refId"`
	IntervalMs    json.RawMessage `json:"intervalMs"`
	MaxDataPoints json.RawMessage `json:"maxDataPoints"`
	RangeRaw      *struct {
		From json.RawMessage `json:"from"`
		To   json.RawMessage `json:"to"`
	} `json:"rangeRaw"`
}

// QueryOf turns subscription data, the query's model as QueryData
// received it, into the query a stream polls: no range is needed in it.
// The stream's span (how far back its first poll reaches when it does not
// know what the panel holds) is the model's relative range, else its
// interval times its points, else DefaultSpan. A model whose relative
// range ends before now is refused with ErrPastRange.
func QueryOf(model json.RawMessage, now time.Time) (*models.Query, error) {
	var env envelope
	if err := json.Unmarshal(model, &env); err != nil {
		return nil, fmt.Errorf("the subscription's query is not a JSON object: %v", err)
	}
	intervalMs, maxPoints := number(env.IntervalMs), number(env.MaxDataPoints)
	span := DefaultSpan
	if intervalMs > 0 && maxPoints > 0 {
		span = time.Duration(intervalMs*maxPoints) * time.Millisecond
	}
	if env.RangeRaw != nil {
		from, fromOK := relative(text(env.RangeRaw.From))
		to, toOK := relative(text(env.RangeRaw.To))
		if toOK && to < 0 {
			return nil, fmt.Errorf("%w (it ends at %s)", ErrPastRange, text(env.RangeRaw.To))
		}
		if fromOK && toOK && to > from {
			span = to - from
		}
	}
	refID := env.RefID
	if refID == "" {
		refID = "A"
	}
	q, err := models.ParseQuery(backend.DataQuery{
		RefID: refID, JSON: model, MaxDataPoints: int64(maxPoints),
		Interval:  time.Duration(intervalMs) * time.Millisecond,
		TimeRange: backend.TimeRange{From: now.Add(-span), To: now},
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

func number(raw json.RawMessage) float64 {
	var f float64
	if json.Unmarshal(raw, &f) != nil || f < 0 {
		return 0
	}
	return f
}

func text(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return strings.TrimSpace(s)
}

// relative reads a Grafana relative time ("now", "now-6h", "now/d",
// "now-1d/d") as its offset from now; rounding ("/d") is left out, which
// is close enough for a catch-up span and keeps "now/d" reaching now.
func relative(s string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(s, "now")
	if !ok {
		return 0, false
	}
	var off time.Duration
	for rest != "" {
		op := rest[0]
		rest = rest[1:]
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == len(rest) {
			return 0, false
		}
		n := 1
		if i > 0 {
			var err error
			if n, err = strconv.Atoi(rest[:i]); err != nil {
				return 0, false
			}
		}
		unit, ok := units[rest[i]]
		if !ok {
			return 0, false
		}
		rest = rest[i+1:]
		switch op {
		case '-':
			off -= time.Duration(n) * unit
		case '+':
			off += time.Duration(n) * unit
		case '/':
			if i > 0 {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return off, true
}

var units = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour,
}
