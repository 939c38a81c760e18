package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// grafanaChecks ask the built plugin, over the plugin protocol, what
// Grafana will show: Save & test, the editor's metric list, panels,
// variables, ad hoc filters and annotations.
var grafanaChecks = []check{
	{"Save & test", secHealth, pluginHealth},
	{"query editor's metric list", secMetrics, pluginMetricList},
	{"panel", secQuery, pluginPanels},
	{"variable", secVariable, pluginVariable},
	{"ad hoc filter keys", secTags, pluginTagKeys},
	{"annotation", secAnnotations, pluginAnnotation},
}

// noPlugin is the finding of every check of this group without a plugin.
var noPlugin = []finding{skip("the built plugin was not started (build it, or give --plugin)")}

func pluginHealth(ctx context.Context, s *session) []finding {
	if s.t.Plugin == nil {
		return noPlugin
	}
	res, err := s.t.Plugin.CheckHealth(ctx, s.t.DataSource)
	switch {
	case err != nil:
		return []finding{fail("the plugin call failed: "+err.Error(), "check that the plugin binary is built for this machine")}
	case res.Status != backend.HealthStatusOk:
		return []finding{fail(res.Message, "fix what Save & test reports")}
	}
	return []finding{pass(firstLine(res.Message))}
}

func pluginMetricList(ctx context.Context, s *session) []finding {
	if s.t.Plugin == nil {
		return noPlugin
	}
	res, err := s.t.Plugin.CallResource(ctx, s.t.DataSource, http.MethodPost, "metrics", []byte(`{"metric":"","payload":{}}`))
	if err != nil {
		return []finding{fail("the plugin call failed: "+err.Error(), "check that the plugin binary is built for this machine")}
	}
	if res.Status != http.StatusOK {
		return []finding{fail(fmt.Sprintf("%d: %s", res.Status, resourceMessage(res.Body)), "answer POST /metrics (or /search) as the contract says")}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(res.Body, &list); err != nil {
		return []finding{fail("the plugin answered "+firstLine(string(res.Body)), "answer POST /metrics (or /search) as the contract says")}
	}
	return []finding{pass(fmt.Sprintf("the editor offers %d metrics", len(list)))}
}

// resourceMessage reads a resource error's {"error"} (the plugin's) or
// {"message"} (Grafana's).
func resourceMessage(body []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error+e.Message != "" {
		return firstLine(e.Error + e.Message)
	}
	return firstLine(string(body))
}

// pluginQuery runs one query through the plugin over the checks' window.
func (s *session) pluginQuery(ctx context.Context, queryType string, model map[string]any) (backend.DataResponse, error) {
	from, to := s.queryWindow()
	b, err := json.Marshal(model)
	if err != nil {
		return backend.DataResponse{}, err
	}
	res, err := s.t.Plugin.QueryData(ctx, s.t.DataSource, []backend.DataQuery{{
		RefID: "A", QueryType: queryType, JSON: b, TimeRange: backend.TimeRange{From: from, To: to},
		MaxDataPoints: 360, Interval: time.Minute,
	}}, nil)
	if err != nil {
		return backend.DataResponse{}, err
	}
	return res.Responses["A"], nil
}

// verdict turns a plugin answer into a finding: its error fails, its
// warning notices warn with their own text, which says what to fix.
func verdict(r backend.DataResponse, err error, fix string) finding {
	switch {
	case err != nil:
		return fail("the plugin call failed: "+err.Error(), "check that the plugin binary is built for this machine")
	case r.Error != nil:
		return fail(firstLine(r.Error.Error()), fix)
	}
	if n := warnings(r.Frames); len(n) > 0 {
		return warn("the panel shows: "+firstLine(n[0]), fix)
	}
	rows := 0
	for _, f := range r.Frames {
		if n, err := f.RowLen(); err == nil {
			rows += n
		}
	}
	return pass(count(len(r.Frames), "frame", "frames") + ", " + count(rows, "row", "rows"))
}

// warnings are the notices a panel shows as warnings or errors.
func warnings(frames data.Frames) []string {
	var out []string
	for _, f := range frames {
		if f.Meta == nil {
			continue
		}
		for _, n := range f.Meta.Notices {
			if n.Severity == data.NoticeSeverityWarning || n.Severity == data.NoticeSeverityError {
				out = append(out, n.Text)
			}
		}
	}
	return out
}

func pluginPanels(ctx context.Context, s *session) []finding {
	if s.t.Plugin == nil {
		return noPlugin
	}
	if len(s.metrics) == 0 {
		return []finding{skip("no metric was listed to query")}
	}
	var out []finding
	for _, m := range s.metrics {
		for _, format := range []string{"time_series", "table"} {
			r, err := s.pluginQuery(ctx, "metrics", map[string]any{"target": m.name, "payload": map[string]any{}, "format": format})
			out = append(out, verdict(r, err, "answer /query as the contract says").about(m.name+", "+format))
		}
	}
	return out
}

func pluginVariable(ctx context.Context, s *session) []finding {
	if s.t.Plugin == nil {
		return noPlugin
	}
	r, err := s.pluginQuery(ctx, "variable", map[string]any{"query": "", "format": "string"})
	return []finding{verdict(r, err, "answer /variable (or /search) with options")}
}

func pluginTagKeys(ctx context.Context, s *session) []finding {
	if s.t.Plugin == nil {
		return noPlugin
	}
	res, err := s.t.Plugin.CallResource(ctx, s.t.DataSource, http.MethodPost, "tag-keys", []byte(`{}`))
	if err != nil {
		return []finding{fail("the plugin call failed: "+err.Error(), "check that the plugin binary is built for this machine")}
	}
	if res.Status != http.StatusOK {
		return []finding{fail(fmt.Sprintf("%d: %s", res.Status, resourceMessage(res.Body)), "answer /tag-keys, or 404 when the service has no ad hoc filters")}
	}
	var list []json.RawMessage
	_ = json.Unmarshal(res.Body, &list)
	return []finding{pass(fmt.Sprintf("%d keys offered", len(list)))}
}

func pluginAnnotation(ctx context.Context, s *session) []finding {
	if s.t.Plugin == nil {
		return noPlugin
	}
	r, err := s.pluginQuery(ctx, "annotations", map[string]any{"query": "", "name": "conform", "enable": true})
	f := verdict(r, err, "answer /annotations with events, or 404")
	if f.status == Fail && strings.Contains(f.detail, "404") {
		return []finding{absent("no /annotations endpoint: " + f.detail)}
	}
	return []finding{f}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
