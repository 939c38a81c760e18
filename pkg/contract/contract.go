// Package contract defines the HTTP JSON contract between the plugin and an
// in-house metrics service. The same types are used by the plugin's client,
// the reference server and the tests, so the contract lives in one place.
//
// The contract is compatible with the "JSON datasource" contract
// (and its older SimpleJSON dialect) that many in-house servers already
// implement; see docs/contract.md.
package contract

import (
	"encoding/json"
	"time"
)

// Endpoint paths, relative to the configured base URL.
const (
	PathMetrics              = "/metrics"
	PathSearch               = "/search" // SimpleJSON dialect of PathMetrics
	PathMetricPayloadOptions = "/metric-payload-options"
	PathOptions              = "/options" // older name of PathMetricPayloadOptions
	PathQuery                = "/query"
	PathVariable             = "/variable"
	PathTagKeys              = "/tag-keys"
	PathTagValues            = "/tag-values"
	PathAnnotations          = "/annotations" // SimpleJSON dialect
)

// MetricsRequest is the body of POST /metrics.
type MetricsRequest struct {
	Metric  string         `json:"metric"`
	Payload map[string]any `json:"payload"`
}

// SearchRequest is the body of POST /search (SimpleJSON dialect).
type SearchRequest struct {
	Target string `json:"target"`
}

// Metric is one entry of the POST /metrics answer.
type Metric struct {
	Label    string       `json:"label,omitempty"`
	Value    string       `json:"value"`
	Payloads []PayloadDef `json:"payloads"`
}

// PayloadDef describes one payload field a metric accepts, so the query
// editor can render it.
type PayloadDef struct {
	Label        string         `json:"label,omitempty"`
	Name         string         `json:"name"`
	Type         string         `json:"type,omitempty"` // select, multi-select, input, textarea
	Placeholder  string         `json:"placeholder,omitempty"`
	ReloadMetric bool           `json:"reloadMetric,omitempty"`
	Width        int            `json:"width,omitempty"`
	Options      []SelectOption `json:"options,omitempty"`
}

// Payload field types.
const (
	PayloadSelect      = "select"
	PayloadMultiSelect = "multi-select"
	PayloadInput       = "input"
	PayloadTextarea    = "textarea"
)

// SelectOption is a label/value pair, used for payload options.
type SelectOption struct {
	Label string `json:"label"`
	Value any    `json:"value"`
}

// MetricPayloadOptionsRequest is the body of POST /metric-payload-options.
type MetricPayloadOptionsRequest struct {
	Metric  string         `json:"metric"`
	Payload map[string]any `json:"payload"`
	Name    string         `json:"name"`
}

// Range is the query time range. From and To go out as UTC RFC3339 with
// exactly three fractional digits (FormatTime).
type Range struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Raw  RawRange  `json:"raw"`
}

// TimeFormat is how times go out: JavaScript's toISOString, which writes
// milliseconds always. The widely copied Python example parses with
// "%Y-%m-%dT%H:%M:%S.%fZ" and fails on a time without them.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in UTC as TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// MarshalJSON writes From and To as FormatTime does. Reading keeps
// time.Time's own parser, which takes any RFC3339 form.
func (r Range) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		From string   `json:"from"`
		To   string   `json:"to"`
		Raw  RawRange `json:"raw"`
	}{FormatTime(r.From), FormatTime(r.To), r.Raw})
}

// RawRange is the range as the user picked it: the dashboard's relative
// range ("now-1h", "now") when the frontend passed it on, otherwise the
// absolute times as FormatTime writes them.
type RawRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Target is one query in a POST /query body.
type Target struct {
	RefID   string         `json:"refId"`
	Target  string         `json:"target"`
	Payload map[string]any `json:"payload"`
	// Type is the SimpleJSON dialect's format hint: "timeserie" or "table".
	Type string `json:"type,omitempty"`
}

// Filter is an ad hoc filter, as Grafana's ad hoc filter variable holds
// it. Operator is one of =, !=, =~, !~ (regular expressions), < and >.
// Condition, when set, joins the filter to the one before it ("AND" or
// "OR"); Grafana leaves it empty, which means AND.
type Filter struct {
	Key       string `json:"key"`
	Operator  string `json:"operator"`
	Value     string `json:"value"`
	Condition string `json:"condition,omitempty"`
}

// QueryRequest is the body of POST /query.
type QueryRequest struct {
	Range         Range    `json:"range"`
	RangeRaw      RawRange `json:"rangeRaw"`
	Interval      string   `json:"interval"`
	IntervalMs    int64    `json:"intervalMs"`
	MaxDataPoints int64    `json:"maxDataPoints"`
	Targets       []Target `json:"targets"`
	// Filters and AdhocFilters carry the same filters: newer servers read
	// the first, older ones the second.
	Filters      []Filter `json:"filters"`
	AdhocFilters []Filter `json:"adhocFilters"`
}

// TimeSeries is a time series item of the POST /query answer.
// Datapoints are [value, unixMillis] pairs.
type TimeSeries struct {
	Target     string            `json:"target"`
	Datapoints [][2]any          `json:"datapoints"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// Table is a table item of the POST /query answer.
type Table struct {
	Type    string        `json:"type"` // "table"
	Columns []TableColumn `json:"columns"`
	Rows    [][]any       `json:"rows"`
}

// TableColumn is a column of a Table. Type is "time", "number", "string" or
// "boolean"; servers may omit it.
type TableColumn struct {
	Text string `json:"text"`
	Type string `json:"type,omitempty"`
}

// Column types.
const (
	ColumnTime    = "time"
	ColumnNumber  = "number"
	ColumnString  = "string"
	ColumnBoolean = "boolean"
)

// VariableRequest is the body of POST /variable. Payload is
// {"target": "<text>"} for a variable query in string format, and the
// query's own object for one in JSON format.
type VariableRequest struct {
	Payload map[string]any `json:"payload"`
	Range   *Range         `json:"range,omitempty"`
}

// VariableValue is one entry of the POST /variable answer.
type VariableValue struct {
	Text  string `json:"__text"`
	Value string `json:"__value"`
}

// FindValue is one option of a variable or one ad hoc filter key or
// value: Grafana's MetricFindValue.
type FindValue struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// TagKey is one entry of the POST /tag-keys answer.
type TagKey struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// TagKeysRequest is the body of POST /tag-keys: the dashboard's time
// range and its ad hoc filters, as simPod's data source posts them, so a
// service can offer only the keys that have data. Both are left out when
// the caller has none.
type TagKeysRequest struct {
	Range        *Range   `json:"range,omitempty"`
	AdhocFilters []Filter `json:"adhocFilters,omitempty"`
}

// TagValuesRequest is the body of POST /tag-values: the key, and the
// range and the other ad hoc filters, which narrow the values.
type TagValuesRequest struct {
	Key          string   `json:"key"`
	Range        *Range   `json:"range,omitempty"`
	AdhocFilters []Filter `json:"adhocFilters,omitempty"`
}

// TagValue is one entry of the POST /tag-values answer.
type TagValue struct {
	Text string `json:"text"`
}

// AnnotationRequest is the body of POST /annotations (SimpleJSON dialect).
type AnnotationRequest struct {
	Range      Range           `json:"range"`
	RangeRaw   RawRange        `json:"rangeRaw"`
	Annotation AnnotationQuery `json:"annotation"`
}

// AnnotationQuery is the annotation the user configured, as SimpleJSON
// saved it.
type AnnotationQuery struct {
	Name      string `json:"name"`
	Enable    bool   `json:"enable"`
	IconColor string `json:"iconColor"`
	Query     string `json:"query"`
}

// Annotation is one entry of the POST /annotations answer, and one event
// read from a /query answer's table. Times are epoch milliseconds;
// TimeEnd is 0 for an event that is not a region.
type Annotation struct {
	Time    int64    `json:"time"`
	TimeEnd int64    `json:"timeEnd,omitempty"`
	ID      string   `json:"id,omitempty"`
	Title   string   `json:"title"`
	Text    string   `json:"text"`
	Tags    []string `json:"tags"`
}
