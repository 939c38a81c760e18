package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// seriesChecks look at the points of every listed metric that answers
// with time series.
var seriesChecks = []check{
	{"values are numbers", secQuery, checkValues},
	{"timestamps", secQuery, checkTimestamps},
	{"order and duplicates", secQuery, checkOrder},
	{"maxDataPoints respected", secQuery, checkMaxDataPoints},
	{"intervalMs respected", secQuery, checkInterval},
}

// maxSeriesMetrics bounds how many metrics the point checks query, so a
// service with a thousand metrics is checked in seconds.
const maxSeriesMetrics = 5

// series is one time series of an answer, as read for the checks.
type series struct {
	name   string
	points [][]any
}

// seriesOf reads the time series items of a /query answer.
func seriesOf(list []any) []series {
	var out []series
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		dp, ok := m["datapoints"].([]any)
		if !ok {
			continue
		}
		name, _ := m["target"].(string)
		s := series{name: name}
		for _, p := range dp {
			pair, _ := p.([]any)
			s.points = append(s.points, pair)
		}
		out = append(out, s)
	}
	return out
}

// sampled is one metric's series over the checks' window.
type sampled struct {
	metric   string
	from, to time.Time
	interval int64
	series   []series
}

// samples queries the first metrics that answer with time series, once.
func (s *session) samples(ctx context.Context) []sampled {
	if s.sampled != nil {
		return *s.sampled
	}
	var out []sampled
	from, to := s.queryWindow()
	for _, m := range s.metrics {
		if len(out) == maxSeriesMetrics {
			break
		}
		a := s.post(ctx, "/query", s.queryBody(m.name, "time_series", from, to, 60_000, 360))
		list, err := a.array()
		if !a.ok() || err != nil {
			continue
		}
		if ss := seriesOf(list); len(ss) > 0 {
			out = append(out, sampled{metric: m.name, from: from, to: to, interval: 60_000, series: ss})
		}
	}
	s.sampled = &out
	return out
}

// eachSample runs fn on every sampled metric, or skips when none.
func eachSample(ctx context.Context, s *session, fn func(sampled) finding) []finding {
	var out []finding
	for _, sm := range s.samples(ctx) {
		out = append(out, fn(sm).about(sm.metric))
	}
	if len(out) == 0 {
		return []finding{skip("no listed metric answered with time series")}
	}
	return out
}

func checkValues(ctx context.Context, s *session) []finding {
	return eachSample(ctx, s, func(sm sampled) finding {
		var nulls, nans, strs, points int
		for _, sr := range sm.series {
			for i, p := range sr.points {
				points++
				if len(p) != 2 {
					return fail(fmt.Sprintf("%q point %d has %d elements", sr.name, i, len(p)), "write each point as [value, unixMillis]")
				}
				switch v := p[0].(type) {
				case nil:
					nulls++
				case json.Number:
				case string:
					f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					switch {
					case err != nil && !strings.EqualFold(v, "nan") && !strings.Contains(strings.ToLower(v), "inf"):
						return fail(fmt.Sprintf("%q point %d: value %q is not a number", sr.name, i, v), "send values as JSON numbers, or null for a gap")
					case math.IsNaN(f) || strings.EqualFold(v, "nan"):
						nans++
					default:
						strs++
					}
				default:
					return fail(fmt.Sprintf("%q point %d: value is %s", sr.name, i, kind(v)), "send values as JSON numbers, or null for a gap")
				}
			}
		}
		switch {
		case nans > 0:
			return warn(fmt.Sprintf("%d of %d values are \"NaN\"", nans, points), "send null for a missing value: NaN is not JSON and panels treat it unlike a gap")
		case strs > 0:
			return warn(fmt.Sprintf("%d of %d values are numbers in strings", strs, points), "send values as JSON numbers: strings cost parsing and other clients may not read them")
		}
		return pass(fmt.Sprintf("%d points, %d nulls", points, nulls))
	})
}

// timestampOf reads a point's time: integer milliseconds, or what the
// plugin also accepts, with a note of which quirk it was.
func timestampOf(v any) (ms float64, quirk string, ok bool) {
	switch t := v.(type) {
	case json.Number:
		if _, err := t.Int64(); err != nil {
			f, err := t.Float64()
			return f, "fractional", err == nil
		}
		f, _ := t.Float64()
		return f, "", true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, "a string", err == nil
	}
	return 0, "", false
}

func checkTimestamps(ctx context.Context, s *session) []finding {
	return eachSample(ctx, s, func(sm sampled) finding {
		lo, hi := sm.from.UnixMilli(), sm.to.UnixMilli()
		var quirks []string
		edge := 0
		for _, sr := range sm.series {
			for i, p := range sr.points {
				if len(p) != 2 {
					continue
				}
				ts, quirk, ok := timestampOf(p[1])
				if !ok {
					return fail(fmt.Sprintf("%q point %d: timestamp is %s", sr.name, i, kind(p[1])), "send timestamps as integer epoch milliseconds")
				}
				if quirk != "" && !slices.Contains(quirks, quirk) {
					quirks = append(quirks, quirk)
				}
				t := int64(ts)
				switch {
				case t > 0 && t < 1e11 && lo > 1e11:
					return fail(fmt.Sprintf("%q point %d: timestamp %d looks like seconds", sr.name, i, t), "send epoch milliseconds, not seconds")
				case t < lo-sm.interval || t > hi+sm.interval:
					return fail(fmt.Sprintf("%q point %d: %s is outside the range asked for (%s to %s)", sr.name, i, time.UnixMilli(t).UTC().Format(time.RFC3339), sm.from.UTC().Format(time.RFC3339), sm.to.UTC().Format(time.RFC3339)),
						"answer only points inside range.from and range.to")
				case t < lo || t > hi:
					edge++
				}
			}
		}
		switch {
		case len(quirks) > 0:
			return warn("timestamps sent "+strings.Join(quirks, " and "), "send timestamps as integer epoch milliseconds")
		case edge > 0:
			return warn(fmt.Sprintf("%d points up to one interval outside the range asked for", edge), "answer only points inside range.from and range.to: Grafana draws them past the panel's edge")
		}
		return pass("integer milliseconds inside the range")
	})
}

func checkOrder(ctx context.Context, s *session) []finding {
	return eachSample(ctx, s, func(sm sampled) finding {
		var unsorted, dups []string
		for _, sr := range sm.series {
			seen := map[float64]bool{}
			prev := math.Inf(-1)
			for _, p := range sr.points {
				if len(p) != 2 {
					continue
				}
				ts, _, ok := timestampOf(p[1])
				if !ok {
					continue
				}
				if ts < prev && !slices.Contains(unsorted, sr.name) {
					unsorted = append(unsorted, sr.name)
				}
				if seen[ts] && !slices.Contains(dups, sr.name) {
					dups = append(dups, sr.name)
				}
				seen[ts], prev = true, ts
			}
		}
		switch {
		case len(unsorted) > 0:
			return warn(fmt.Sprintf("points out of time order in %s", quoteList(unsorted)), "send each series' points in ascending time: the plugin sorts them, at a cost, with a notice on the panel")
		case len(dups) > 0:
			return warn(fmt.Sprintf("duplicate timestamps in %s", quoteList(dups)), "send one point per timestamp per series: panels draw both, and reducers count both")
		}
		return pass(fmt.Sprintf("%d series sorted, no duplicate timestamps", len(sm.series)))
	})
}

func quoteList(names []string) string {
	if len(names) > 3 {
		names = append(names[:3:3], "...")
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// mostPoints is the longest series' length.
func mostPoints(ss []series) int {
	n := 0
	for _, sr := range ss {
		n = max(n, len(sr.points))
	}
	return n
}

// maxDataPointsAsked are the resolutions the check asks for, over a day.
var maxDataPointsAsked = []int64{50, 200, 1000}

func checkMaxDataPoints(ctx context.Context, s *session) []finding {
	sm := s.samples(ctx)
	if len(sm) == 0 {
		return []finding{skip("no listed metric answered with time series")}
	}
	to := s.now.Truncate(time.Second)
	from := to.Add(-24 * time.Hour)
	var got []int
	var over []string
	for _, n := range maxDataPointsAsked {
		interval := to.Sub(from).Milliseconds() / n
		a := s.post(ctx, "/query", s.queryBody(sm[0].metric, "time_series", from, to, interval, n))
		s.record(fmt.Sprintf("/query maxDataPoints %d", n), a)
		list, err := a.array()
		if !a.ok() || err != nil {
			return []finding{fail(fmt.Sprintf("maxDataPoints %d: %s", n, a.describe()), "answer /query for any positive maxDataPoints").about(sm[0].metric)}
		}
		p := mostPoints(seriesOf(list))
		got = append(got, p)
		if int64(p) > n+1 {
			over = append(over, fmt.Sprintf("%d for %d", p, n))
		}
	}
	detail := fmt.Sprintf("asked %v points over 24h, got at most %v per series", maxDataPointsAsked, got)
	switch {
	case len(over) > 0 && got[0] == got[len(got)-1]:
		return []finding{warn(detail+": maxDataPoints is ignored", "send at most maxDataPoints points per series (downsample on the service): extra points cost transfer and memory, and Grafana cannot draw them").about(sm[0].metric)}
	case len(over) > 0:
		return []finding{warn(detail+" ("+strings.Join(over, ", ")+")", "send at most maxDataPoints points per series").about(sm[0].metric)}
	}
	return []finding{pass(detail).about(sm[0].metric)}
}

// intervalsAsked are the intervals the check asks for, with room for
// every point (maxDataPoints large), over 6 hours.
var intervalsAsked = []int64{60_000, 600_000}

func checkInterval(ctx context.Context, s *session) []finding {
	sm := s.samples(ctx)
	if len(sm) == 0 {
		return []finding{skip("no listed metric answered with time series")}
	}
	from, to := s.queryWindow()
	var steps []string
	for _, iv := range intervalsAsked {
		a := s.post(ctx, "/query", s.queryBody(sm[0].metric, "time_series", from, to, iv, 100_000))
		list, err := a.array()
		if !a.ok() || err != nil {
			return []finding{fail(fmt.Sprintf("intervalMs %d: %s", iv, a.describe()), "answer /query for any positive intervalMs").about(sm[0].metric)}
		}
		step := medianStep(seriesOf(list))
		steps = append(steps, fmt.Sprintf("%d ms for %d", step, iv))
		if step > 0 && step*2 < iv {
			return []finding{warn(fmt.Sprintf("points every %d ms when asked for intervalMs %d", step, iv),
				"space points at least intervalMs apart: finer points than the panel's resolution cost and are not drawn").about(sm[0].metric)}
		}
	}
	return []finding{pass("median spacing " + strings.Join(steps, ", ")).about(sm[0].metric)}
}

// medianStep is the median distance between consecutive points of the
// longest series, 0 when it has fewer than two.
func medianStep(ss []series) int64 {
	var longest series
	for _, sr := range ss {
		if len(sr.points) > len(longest.points) {
			longest = sr
		}
	}
	var ts []float64
	for _, p := range longest.points {
		if len(p) == 2 {
			if t, _, ok := timestampOf(p[1]); ok {
				ts = append(ts, t)
			}
		}
	}
	slices.Sort(ts)
	var d []float64
	for i := 1; i < len(ts); i++ {
		d = append(d, ts[i]-ts[i-1])
	}
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return int64(d[len(d)/2])
}
