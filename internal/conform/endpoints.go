package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Contract sections the advice names (docs/contract.md headings).
const (
	secHealth      = "GET / (health)"
	secMetrics     = "POST /metrics"
	secOptions     = "POST /metric-payload-options"
	secQuery       = "POST /query"
	secVariable    = "POST /variable"
	secTags        = "POST /tag-keys and POST /tag-values"
	secAnnotations = "Annotations"
	secErrors      = "Errors"
)

var endpointChecks = []check{
	{"health", secHealth, checkHealth},
	{"metrics", secMetrics, checkMetrics},
	{"search", secMetrics, checkSearch},
	{"payload options", secOptions, checkPayloadOptions},
	{"query", secQuery, checkQueries},
	{"variable", secVariable, checkVariable},
	{"tag keys and values", secTags, checkTags},
	{"annotations", secAnnotations, checkAnnotations},
}

func checkHealth(ctx context.Context, s *session) []finding {
	a := s.call(ctx, http.MethodGet, "", nil, nil)
	s.record("health", a)
	if a.ok() {
		return []finding{pass(fmt.Sprintf("%d in %s", a.status, ms(a.took)))}
	}
	if a.err == nil && a.status == http.StatusNotFound {
		other := strings.TrimSuffix(s.t.URL, "/")
		if other == s.t.URL {
			other += "/"
		}
		if b := (&session{t: Target{URL: other, Header: s.t.Header}, hc: s.hc}).call(ctx, http.MethodGet, "", nil, nil); b.ok() {
			return []finding{warn(fmt.Sprintf("404 at the URL as written, %d at %s", b.status, redact(other)),
				"answer GET at the URL exactly as configured, or configure the form that answers")}
		}
	}
	return []finding{fail(a.describe(), "answer GET on the configured URL with any 2xx")}
}

// listMetrics reads /metrics, falling back to /search as the plugin
// does, once per session.
func (s *session) listMetrics(ctx context.Context) ([]metricInfo, answer, error) {
	a := s.post(ctx, "/metrics", map[string]any{"metric": "", "payload": map[string]any{}})
	s.record("/metrics", a)
	if list, err := a.array(); a.ok() && err == nil {
		s.listed, s.metricsVia = true, "/metrics"
		s.metrics = metricsOf(list)
		return s.metrics, a, nil
	}
	b := s.post(ctx, "/search", map[string]any{"target": ""})
	s.record("/search", b)
	if list, err := b.array(); b.ok() && err == nil {
		s.listed, s.metricsVia = true, "/search"
		s.metrics = metricsOf(list)
		return s.metrics, a, nil
	}
	return nil, a, fmt.Errorf("neither /metrics (%s) nor /search (%s) listed metrics", a.describe(), b.describe())
}

// metricsOf reads the list forms the contract accepts; entries without a
// name are left out, as the plugin leaves them.
func metricsOf(list []any) []metricInfo {
	var out []metricInfo
	for _, item := range list {
		var m metricInfo
		switch v := item.(type) {
		case string:
			m.name = v
		case map[string]any:
			m.name, _ = v["value"].(string)
			if m.name == "" {
				m.name, _ = v["text"].(string)
			}
			if p, ok := v["payloads"].([]any); ok {
				for _, f := range p {
					if fm, ok := f.(map[string]any); ok {
						if n, _ := fm["name"].(string); n != "" {
							m.fields = append(m.fields, n)
						}
					}
				}
			}
		}
		if m.name != "" {
			out = append(out, m)
		}
	}
	return out
}

func checkMetrics(ctx context.Context, s *session) []finding {
	metrics, a, err := s.listMetrics(ctx)
	switch {
	case a.ok() && s.metricsVia == "/metrics":
		list, _ := a.array()
		if bad := badMetricItems(list); bad != "" {
			return []finding{fail(bad, `answer [{"label", "value", "payloads": [...]}], each with a value`)}
		}
		if len(metrics) == 0 {
			return []finding{warn("the list is empty", "list the metrics the service can answer for, so the query editor offers them")}
		}
		return []finding{pass(fmt.Sprintf("%d metrics", len(metrics)))}
	case a.missing():
		return []finding{absent(fmt.Sprintf("%d: the SimpleJSON dialect, /search lists the metrics", a.status))}
	case err != nil:
		return []finding{fail(err.Error(), "answer POST /metrics with a JSON array of metrics")}
	}
	// Answered, but not as the contract: the quirks group says which way.
	return []finding{warn("not the contract's answer ("+a.describe()+"); /search listed the metrics", "answer POST /metrics with a JSON array, or 404 if the service has only /search")}
}

// badMetricItems names the first entry of a /metrics answer that is
// neither a string nor an object with a string value.
func badMetricItems(list []any) string {
	for i, item := range list {
		switch v := item.(type) {
		case string:
			continue
		case map[string]any:
			if _, ok := v["value"].(string); ok {
				continue
			}
			if _, ok := v["text"].(string); ok {
				continue
			}
			return fmt.Sprintf("entry %d has no string value", i)
		default:
			return fmt.Sprintf("entry %d is %s, not an object or a string", i, kind(item))
		}
	}
	return ""
}

func checkSearch(ctx context.Context, s *session) []finding {
	a := s.post(ctx, "/search", map[string]any{"target": ""})
	s.record("/search", a)
	switch {
	case a.missing():
		return []finding{absent(fmt.Sprintf("%d: only /metrics lists metrics", a.status))}
	case !a.ok():
		if s.metricsVia == "/metrics" {
			return []finding{warn(a.describe(), "answer 404 or 501 when /search is not served, so the plugin knows it is absent")}
		}
		return []finding{fail(a.describe(), "answer POST /search with the metric names, or serve /metrics")}
	}
	list, err := a.array()
	if err != nil {
		return []finding{fail(err.Error(), `answer POST /search with ["name", ...] or [{"text", "value"}]`)}
	}
	return []finding{pass(fmt.Sprintf("%d entries", len(list)))}
}

func checkPayloadOptions(ctx context.Context, s *session) []finding {
	var m *metricInfo
	for i := range s.metrics {
		if len(s.metrics[i].fields) > 0 {
			m = &s.metrics[i]
			break
		}
	}
	if m == nil {
		return []finding{skip("no listed metric declares payload fields")}
	}
	body := map[string]any{"metric": m.name, "payload": map[string]any{}, "name": m.fields[0]}
	a := s.post(ctx, "/metric-payload-options", body)
	s.record("/metric-payload-options", a)
	path := "/metric-payload-options"
	if a.missing() {
		b := s.post(ctx, "/options", body)
		s.record("/options", b)
		if b.missing() {
			return []finding{absent("404 or 501 on /metric-payload-options and /options: fields offer only their inline options")}
		}
		a, path = b, "/options"
	}
	if !a.ok() {
		return []finding{fail(path+": "+a.describe(), "answer the field's options, or 501 when it has none").about(m.name + "." + m.fields[0])}
	}
	if a.empty() {
		return []finding{warn(path+": an empty 200", "answer [] when a field has no options").about(m.name + "." + m.fields[0])}
	}
	list, err := a.array()
	if err != nil {
		return []finding{fail(path+": "+err.Error(), `answer [{"label", "value"}] or ["value"]`).about(m.name + "." + m.fields[0])}
	}
	return []finding{pass(fmt.Sprintf("%s: %d options", path, len(list))).about(m.name + "." + m.fields[0])}
}

// queryBody is the /query request the plugin sends for one target.
func (s *session) queryBody(target, format string, from, to time.Time, intervalMs, maxDataPoints int64) map[string]any {
	typ := "timeserie"
	if format == "table" {
		typ = "table"
	}
	r := s.rangeOf(from, to)
	return map[string]any{
		"range": r, "rangeRaw": r["raw"],
		"interval": fmt.Sprintf("%dms", intervalMs), "intervalMs": intervalMs, "maxDataPoints": maxDataPoints,
		"targets": []map[string]any{{"refId": "A", "target": target, "payload": map[string]any{}, "type": typ}},
	}
}

// rangeOf is a range as the plugin writes it.
func (s *session) rangeOf(from, to time.Time) map[string]any {
	f, t := isoMillis(from), isoMillis(to)
	return map[string]any{"from": f, "to": t, "raw": map[string]string{"from": f, "to": t}}
}

func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// queryWindow is the range the checks ask for: the last 6 hours.
func (s *session) queryWindow() (time.Time, time.Time) {
	return s.now.Add(-6 * time.Hour).Truncate(time.Second), s.now.Truncate(time.Second)
}

func checkQueries(ctx context.Context, s *session) []finding {
	if len(s.metrics) == 0 {
		return []finding{skip("no metric was listed to query")}
	}
	from, to := s.queryWindow()
	var out []finding
	for _, m := range s.metrics {
		for _, format := range []string{"time_series", "table"} {
			a := s.post(ctx, "/query", s.queryBody(m.name, format, from, to, 60_000, 360))
			s.record("/query "+m.name+" "+format, a)
			subject := m.name + ", " + format
			switch {
			case !a.ok():
				out = append(out, fail(a.describe(), "answer every listed metric with 200 and a JSON array").about(subject))
				continue
			case a.empty():
				out = append(out, warn("an empty 200", "answer [] when there is no data").about(subject))
				continue
			}
			list, err := a.array()
			if err != nil {
				out = append(out, fail(err.Error(), "answer /query with a JSON array of series, tables or frames").about(subject))
				continue
			}
			if bad := badQueryItem(list); bad != "" {
				out = append(out, fail(bad, `give each item "datapoints", "columns" or "fields"`).about(subject))
				continue
			}
			if len(list) == 0 {
				out = append(out, warn("no series over the last 6 hours", "answer a listed metric with its data, or leave it out of the list").about(subject))
				continue
			}
			out = append(out, pass(fmt.Sprintf("%s, %s, %s", count(len(list), "item", "items"), size(len(a.body)), ms(a.took))).about(subject))
		}
	}
	return out
}

// badQueryItem names the first /query item that is none of the shapes.
func badQueryItem(list []any) string {
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return fmt.Sprintf("item %d is %s, not an object", i, kind(item))
		}
		_, dp := m["datapoints"]
		_, cols := m["columns"]
		_, fields := m["fields"]
		if !dp && !cols && !fields {
			return fmt.Sprintf("item %d has none of datapoints, columns, fields", i)
		}
	}
	return ""
}

func checkVariable(ctx context.Context, s *session) []finding {
	from, to := s.queryWindow()
	a := s.post(ctx, "/variable", map[string]any{"payload": map[string]any{"target": ""}, "range": s.rangeOf(from, to)})
	s.record("/variable", a)
	switch {
	case a.missing():
		return []finding{absent(fmt.Sprintf("%d: variables are read from /search", a.status))}
	case !a.ok():
		return []finding{fail(a.describe(), "answer POST /variable with options, or 404 to have the plugin use /search")}
	case a.empty():
		return []finding{warn("an empty 200", "answer [] when a variable has no options")}
	}
	v, err := anyJSON(a.body)
	if err != nil {
		if _, err := s.post(ctx, "/search", map[string]any{"target": ""}).array(); err == nil {
			// The plugin reads the options from /search instead, as it
			// does after any 200 that is not the contract.
			return []finding{warn("a 200 that is not the contract ("+a.describe()+"); the plugin falls back to /search",
				"answer POST /variable with options, or 404 when the service has only /search")}
		}
		return []finding{fail("the body is not JSON ("+a.describe()+")", `answer [{"__text", "__value"}], [{"text", "value"}] or ["a", "b"]`)}
	}
	switch v := v.(type) {
	case []any:
		return []finding{pass(fmt.Sprintf("%d options", len(v)))}
	case map[string]any:
		return []finding{pass("a frame")}
	}
	return []finding{fail("the body is "+kind(v), `answer a JSON array of options`)}
}

func checkTags(ctx context.Context, s *session) []finding {
	a := s.post(ctx, "/tag-keys", map[string]any{})
	s.record("/tag-keys", a)
	switch {
	case a.missing():
		return []finding{absent(fmt.Sprintf("%d: no ad hoc filters", a.status))}
	case !a.ok():
		return []finding{fail("/tag-keys: "+a.describe(), "answer the tag keys, or 404 when the service has no ad hoc filters")}
	}
	list, err := a.array()
	if err != nil {
		return []finding{fail("/tag-keys: "+err.Error(), `answer [{"type": "string", "text": "region"}] or ["region"]`)}
	}
	keys := textsOf(list)
	out := []finding{pass(fmt.Sprintf("%d keys", len(keys))).about("keys")}
	if len(keys) == 0 {
		return append(out, skip("no key to ask values for").about("values"))
	}
	b := s.post(ctx, "/tag-values", map[string]any{"key": keys[0]})
	s.record("/tag-values", b)
	switch {
	case b.missing():
		return append(out, fail(fmt.Sprintf("/tag-values: %d, while /tag-keys lists keys", b.status), "serve /tag-values beside /tag-keys").about("values"))
	case !b.ok():
		return append(out, fail("/tag-values: "+b.describe(), "answer the key's values").about("values"))
	}
	vals, err := b.array()
	if err != nil {
		return append(out, fail("/tag-values: "+err.Error(), `answer [{"text": "eu-west"}] or ["eu-west"]`).about("values"))
	}
	return append(out, pass(fmt.Sprintf("%d values of %q", len(textsOf(vals)), keys[0])).about("values"))
}

// textsOf reads strings and {"text"} objects.
func textsOf(list []any) []string {
	var out []string
	for _, item := range list {
		switch v := item.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			if t, _ := v["text"].(string); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func checkAnnotations(ctx context.Context, s *session) []finding {
	from, to := s.queryWindow()
	r := s.rangeOf(from, to)
	a := s.post(ctx, "/annotations", map[string]any{"range": r, "rangeRaw": r["raw"],
		"annotation": map[string]any{"name": "conform", "enable": true, "iconColor": "red", "query": ""}})
	s.record("/annotations", a)
	switch {
	case a.missing():
		return []finding{absent(fmt.Sprintf("%d: annotations only through /query tables", a.status))}
	case !a.ok():
		return []finding{fail(a.describe(), "answer POST /annotations with events, or 404 when the service has none")}
	case a.empty():
		return []finding{warn("an empty 200", "answer [] when there are no events")}
	}
	list, err := a.array()
	if err != nil {
		return []finding{fail(err.Error(), `answer [{"time", "title", "text", "tags"}]`)}
	}
	for i, item := range list {
		ev, ok := item.(map[string]any)
		if !ok {
			return []finding{fail(fmt.Sprintf("event %d is %s", i, kind(item)), "answer each event as an object")}
		}
		if _, ok := ev["time"]; !ok {
			return []finding{fail(fmt.Sprintf("event %d has no time", i), "give every event a time in epoch milliseconds")}
		}
	}
	return []finding{pass(fmt.Sprintf("%d events", len(list)))}
}

func anyJSON(b []byte) (any, error) {
	var v any
	err := json.Unmarshal(b, &v)
	return v, err
}

// kind names a JSON value's type for a detail.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
