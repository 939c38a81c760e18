package conform

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

var costChecks = []check{
	{"latency and size", secQuery, checkLatency},
	{"growth with range", secQuery, checkGrowth},
}

// cost is one answer's latency and size, as recorded by the checks.
type cost struct {
	call  string
	took  time.Duration
	bytes int
}

// record keeps an answer's cost for the cost checks.
func (s *session) record(call string, a answer) {
	if a.err == nil {
		s.costs = append(s.costs, cost{call: call, took: a.took, bytes: len(a.body)})
	}
}

func checkLatency(_ context.Context, s *session) []finding {
	if len(s.costs) == 0 {
		return []finding{skip("no answer to measure")}
	}
	byTime := slices.Clone(s.costs)
	slices.SortFunc(byTime, func(a, b cost) int { return int(a.took - b.took) })
	slowest := byTime[len(byTime)-1]
	largest := slices.MaxFunc(s.costs, func(a, b cost) int { return a.bytes - b.bytes })
	detail := fmt.Sprintf("%d answers: median %s, slowest %s (%s), largest %s (%s)", len(byTime),
		ms(byTime[len(byTime)/2].took), ms(slowest.took), slowest.call, size(largest.bytes), largest.call)
	if slowest.took > s.t.Timeout/2 {
		return []finding{warn(detail, fmt.Sprintf("answer well within the data source's timeout (%s here): slow answers time out under load", s.t.Timeout))}
	}
	return []finding{pass(detail)}
}

// growthSpans are the ranges the growth check asks for, each with the
// same maxDataPoints, so a conforming answer stays the same size.
var growthSpans = []struct {
	name string
	span time.Duration
}{{"1h", time.Hour}, {"6h", 6 * time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}}

// growthPoints is the maxDataPoints the growth check asks with.
const growthPoints = 1000

// farMore is how many times maxDataPoints counts as far more points than
// asked.
const farMore = 2

func checkGrowth(ctx context.Context, s *session) []finding {
	sm := s.samples(ctx)
	if len(sm) == 0 {
		return []finding{skip("no listed metric answered with time series")}
	}
	metric := sm[0].metric
	to := s.now.Truncate(time.Second)
	var parts []string
	worst := 0
	for _, g := range growthSpans {
		from := to.Add(-g.span)
		a := s.post(ctx, "/query", s.queryBody(metric, "time_series", from, to, g.span.Milliseconds()/growthPoints, growthPoints))
		if !a.ok() {
			return []finding{fail(fmt.Sprintf("%s: %s", g.name, a.describe()), "answer /query over any range").about(metric)}
		}
		list, err := a.array()
		if err != nil {
			return []finding{fail(fmt.Sprintf("%s: %v", g.name, err), "answer /query with a JSON array").about(metric)}
		}
		p := mostPoints(seriesOf(list))
		worst = max(worst, p)
		parts = append(parts, fmt.Sprintf("%s: %s, %s, %d points", g.name, ms(a.took), size(len(a.body)), p))
	}
	detail := strings.Join(parts, "; ")
	if worst > farMore*growthPoints {
		return []finding{warn(fmt.Sprintf("up to %d points per series for maxDataPoints %d (%s)", worst, growthPoints, detail),
			"downsample to maxDataPoints: an answer that grows with the range slows every panel and can hit the plugin's limits").about(metric)}
	}
	return []finding{pass(detail).about(metric)}
}
