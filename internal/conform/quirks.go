package conform

import (
	"context"
	"fmt"
	"net/http"
)

// quirkChecks look for what the plugin tolerates, because servers in the
// wild do it, but a server should not rely on: each is a warning with the
// fix.
var quirkChecks = []check{
	{"unrouted path", secMetrics, checkUnrouted},
	{"metrics answer", secMetrics, checkMetricsQuirks},
	{"empty names", secMetrics, checkEmptyNames},
	{"range without fraction", secQuery, checkRangeStrings},
}

// unroutedPath is a path no service serves.
const unroutedPath = "/conform-no-such-endpoint"

func checkUnrouted(ctx context.Context, s *session) []finding {
	a := s.post(ctx, unroutedPath, map[string]any{})
	switch {
	case a.err == nil && (a.status == http.StatusNotFound || a.status == http.StatusNotImplemented || a.status == http.StatusMethodNotAllowed):
		return []finding{pass(fmt.Sprintf("POST %s: %d", unroutedPath, a.status))}
	case a.closed():
		return []finding{warn(fmt.Sprintf("POST %s: the server closed the connection", unroutedPath),
			"answer 404 on a path the service does not route: the plugin retries a closed connection before it falls back to the older endpoint names")}
	case a.ok():
		return []finding{warn(fmt.Sprintf("POST %s: a catch-all %s", unroutedPath, a.describe()),
			"answer 404 on a path the service does not route: a 200 hides which endpoints exist")}
	}
	return []finding{warn(fmt.Sprintf("POST %s: %s", unroutedPath, a.describe()), "answer 404 on a path the service does not route")}
}

func checkMetricsQuirks(ctx context.Context, s *session) []finding {
	a := s.post(ctx, "/metrics", map[string]any{"metric": "", "payload": map[string]any{}})
	switch {
	case a.closed():
		return []finding{warn("POST /metrics: the server closed the connection",
			"answer 404 on /metrics when only /search is served: the plugin falls back only after retrying the hang-up")}
	case a.empty():
		return []finding{warn("POST /metrics: an empty 200", "answer the metric list, or 404 when only /search is served")}
	case a.ok():
		if _, err := a.array(); err != nil {
			return []finding{warn("POST /metrics: a 200 that is not the contract ("+a.describe()+")",
				"answer the metric list, or 404 when only /search is served: a catch-all 200 hides the real endpoints")}
		}
	}
	return []finding{pass("/metrics answers as the contract says, or with 404/501")}
}

func checkEmptyNames(ctx context.Context, s *session) []finding {
	var out []finding
	for _, path := range []string{"/metrics", "/search"} {
		body := map[string]any{"target": ""}
		if path == "/metrics" {
			body = map[string]any{"metric": "", "payload": map[string]any{}}
		}
		a := s.post(ctx, path, body)
		list, err := a.array()
		if !a.ok() || err != nil {
			continue
		}
		if n := len(list) - len(metricsOf(list)); n > 0 {
			out = append(out, warn(fmt.Sprintf("%d of %d entries have no name", n, len(list)),
				"leave entries without a name out of the list: the plugin skips them").about(path))
		} else {
			out = append(out, pass(fmt.Sprintf("all %d entries named", len(list))).about(path))
		}
	}
	if len(out) == 0 {
		return []finding{skip("no metric list to look at")}
	}
	return out
}

// checkRangeStrings asks with times without fractional seconds: the
// plugin always writes three digits, because the widely copied Python
// example fails without them, but a proxy or another client may not.
func checkRangeStrings(ctx context.Context, s *session) []finding {
	if len(s.metrics) == 0 {
		return []finding{skip("no metric was listed to query")}
	}
	from, to := s.queryWindow()
	body := s.queryBody(s.metrics[0].name, "time_series", from, to, 60_000, 360)
	f, t := from.UTC().Format("2006-01-02T15:04:05Z"), to.UTC().Format("2006-01-02T15:04:05Z")
	body["range"] = map[string]any{"from": f, "to": t, "raw": map[string]string{"from": f, "to": t}}
	body["rangeRaw"] = map[string]string{"from": f, "to": t}
	a := s.post(ctx, "/query", body)
	if a.ok() {
		return []finding{pass("RFC3339 times without fractional seconds are read")}
	}
	return []finding{warn(fmt.Sprintf("a range written %s answered %s", f, a.describe()),
		"parse range times as RFC3339 with or without fractional seconds (the plugin always sends three digits; other clients may not)")}
}
