package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Query formats.
const (
	FormatTimeSeries = "time_series"
	FormatTable      = "table"
)

// Limits on what a query may ask for.
const (
	MaxPayloadBytes      = 64 << 10
	DefaultMaxDataPoints = 1000
	maxDerivedDataPoints = 11000
	minIntervalMs        = 1
)

// Query is one validated panel or alert query.
type Query struct {
	RefID   string
	Target  string
	Payload map[string]any
	Format  string
	Alias   string
	Filters []contract.Filter

	From, To time.Time
	// RangeRaw is the range as the dashboard holds it ("now-1h", "now")
	// when the frontend sent it as the model's rangeRaw, otherwise the
	// absolute times.
	RangeRaw      contract.RawRange
	IntervalMs    int64
	MaxDataPoints int64
	// Live asks for a Grafana Live stream of the query's new points after
	// its answer (the query editor's "Live" switch).
	Live bool
}

// rawQuery is what frontends save. It accepts our own editor's model and
// the models saved by the JSON datasource (payload as a string,
// editorMode) and SimpleJSON ("type": "timeserie" | "table"), so existing
// dashboards keep their queries.
type rawQuery struct {
	Target       *json.RawMessage  `json:"target"`
	Payload      json.RawMessage   `json:"payload"`
	Format       string            `json:"format"`
	Type         string            `json:"type"`
	Alias        string            `json:"alias"`
	LegendFormat string            `json:"legendFormat"`
	Filters      []contract.Filter `json:"filters"`
	AdhocFilters []contract.Filter `json:"adhocFilters"`
	RangeRaw     *rawRange         `json:"rangeRaw"`
	Live         bool              `json:"live"`
}

// rawRange is the model's rangeRaw: the dashboard's time range as the user
// picked it, which only the frontend knows. Anything but two strings is
// ignored rather than failing the query: the absolute range is enough.
type rawRange struct {
	From json.RawMessage `json:"from"`
	To   json.RawMessage `json:"to"`
}

// maxRawRangeLen bounds what the frontend may pass as a relative time.
const maxRawRangeLen = 64

// ParseQuery validates one query of a QueryData request. Every error names
// the field and says how to fix it.
func ParseQuery(dq backend.DataQuery) (*Query, error) {
	var raw rawQuery
	if err := json.Unmarshal(dq.JSON, &raw); err != nil {
		return nil, fmt.Errorf("the query is not valid JSON (%v); open it in the query editor and save it again", err)
	}
	q := &Query{RefID: dq.RefID, Alias: raw.Alias, Live: raw.Live}
	if q.Alias == "" {
		q.Alias = raw.LegendFormat
	}
	if err := checkText(
		textField{"the query's refId", dq.RefID, MaxRefIDBytes, inEditor},
		textField{"the alias (legend)", q.Alias, MaxAliasBytes, inEditor},
		textField{"the format", raw.Format, MaxFormatBytes, inEditor},
		textField{"the type", raw.Type, MaxFormatBytes, inEditor},
	); err != nil {
		return nil, err
	}

	if raw.Target != nil {
		var s string
		if err := json.Unmarshal(*raw.Target, &s); err != nil {
			return nil, fmt.Errorf("target must be a metric name (a string), got %s", contract.Snippet(*raw.Target, 40))
		}
		q.Target = strings.TrimSpace(s)
		if err := checkText(textField{"the target (metric)", q.Target, MaxTargetBytes, inEditor}); err != nil {
			return nil, err
		}
	}
	if q.Target == "" {
		return nil, fmt.Errorf("no metric selected: choose a metric in the query editor (the query's target is empty)")
	}

	payload, err := ParsePayload(raw.Payload)
	if err != nil {
		return nil, err
	}
	q.Payload = payload

	switch f := strings.ToLower(strings.TrimSpace(firstNonEmpty(raw.Format, raw.Type))); f {
	case "", "time_series", "timeseries", "timeserie", "time series":
		q.Format = FormatTimeSeries
	case "table":
		q.Format = FormatTable
	default:
		return nil, fmt.Errorf("format %q is not supported: use \"time_series\" or \"table\"", f)
	}

	q.Filters = raw.Filters
	if len(q.Filters) == 0 {
		q.Filters = raw.AdhocFilters
	}
	if err := checkFilters(q.Filters); err != nil {
		return nil, err
	}

	if q.From, q.To, err = checkRange(dq.TimeRange); err != nil {
		return nil, err
	}
	q.RangeRaw = raw.RangeRaw.or(q.From, q.To)
	q.MaxDataPoints, q.IntervalMs = Resolution(q.To.Sub(q.From), dq.MaxDataPoints, dq.Interval)
	return q, nil
}

// checkRange returns a query's time range, which must be set and in order.
func checkRange(tr backend.TimeRange) (from, to time.Time, err error) {
	from, to = tr.From, tr.To
	if from.IsZero() || to.IsZero() {
		return from, to, fmt.Errorf("the query has no time range; pick one in the time picker")
	}
	if from.After(to) {
		return from, to, fmt.Errorf("the time range is inverted: from %s is after to %s; swap them in the time picker", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	return from, to, nil
}

// or returns the relative range the frontend sent, or else the absolute
// times written as the contract writes every time.
func (r *rawRange) or(from, to time.Time) contract.RawRange {
	abs := contract.RawRange{From: contract.FormatTime(from), To: contract.FormatTime(to)}
	if r == nil {
		return abs
	}
	var rel contract.RawRange
	if json.Unmarshal(r.From, &rel.From) != nil || json.Unmarshal(r.To, &rel.To) != nil {
		return abs
	}
	rel.From, rel.To = strings.TrimSpace(rel.From), strings.TrimSpace(rel.To)
	if rel.From == "" || rel.To == "" || len(rel.From) > maxRawRangeLen || len(rel.To) > maxRawRangeLen {
		return abs
	}
	return rel
}

// Resolution derives maxDataPoints and intervalMs that are always positive:
// some servers loop forever on intervalMs 0 and others fail on
// maxDataPoints 0, so missing values come from the time range.
func Resolution(span time.Duration, maxDataPoints int64, interval time.Duration) (int64, int64) {
	intervalMs := interval.Milliseconds()
	if maxDataPoints <= 0 {
		maxDataPoints = DefaultMaxDataPoints
		if intervalMs > 0 {
			maxDataPoints = min(max(span.Milliseconds()/intervalMs, 1), maxDerivedDataPoints)
		}
	}
	if intervalMs <= 0 {
		intervalMs = max(span.Milliseconds()/maxDataPoints, minIntervalMs)
	}
	return maxDataPoints, intervalMs
}

// ParsePayload accepts a payload saved as a JSON object, as a string
// holding a JSON object (the JSON datasource's editor), or absent.
func ParsePayload(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > MaxPayloadBytes {
		return nil, fmt.Errorf("payload is %d KB, above the %d KB limit; send smaller payloads", len(raw)>>10, MaxPayloadBytes>>10)
	}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]any{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("payload is not a valid JSON string: %v", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return map[string]any{}, nil
		}
		raw = []byte(s)
	}
	var m map[string]any
	if raw[0] != '{' {
		return nil, fmt.Errorf("payload must be a JSON object such as {\"region\": \"eu\"}, got %s", contract.Snippet(raw, 40))
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON (%v); fix it in the query editor", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// ContractRequest is the POST /query body for this query alone: answers do
// not say which target they belong to, so each query is sent on its own.
func (q *Query) ContractRequest() contract.QueryRequest {
	from, to := q.From.UTC(), q.To.UTC()
	raw := q.RangeRaw
	if raw.From == "" || raw.To == "" {
		raw = (*rawRange)(nil).or(from, to)
	}
	typ := "timeserie"
	if q.Format == FormatTable {
		typ = "table"
	}
	filters := q.Filters
	if filters == nil {
		filters = []contract.Filter{}
	}
	return contract.QueryRequest{
		Range:         contract.Range{From: from, To: to, Raw: raw},
		RangeRaw:      raw,
		Interval:      FormatInterval(q.IntervalMs),
		IntervalMs:    q.IntervalMs,
		MaxDataPoints: q.MaxDataPoints,
		Targets:       []contract.Target{{RefID: q.RefID, Target: q.Target, Payload: q.Payload, Type: typ}},
		Filters:       filters,
		AdhocFilters:  filters,
	}
}

// FormatInterval writes milliseconds the way Grafana writes intervals
// ("500ms", "15s", "5m", "1h", "1d").
func FormatInterval(ms int64) string {
	for _, u := range []struct {
		ms   int64
		unit string
	}{{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}} {
		if ms >= u.ms && ms%u.ms == 0 {
			return fmt.Sprintf("%d%s", ms/u.ms, u.unit)
		}
	}
	return fmt.Sprintf("%dms", ms)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
