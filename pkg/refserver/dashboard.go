package refserver

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// AnnotationTarget is the target /query answers with deployment events (a
// frame of time, timeEnd, title, text and tags), for annotations the JSON
// datasource's way. It is not a metric, so /metrics does not list it.
const AnnotationTarget = "deploy_events"

// deployTakes is how long a deployment runs: events are regions.
const deployTakes = 4 * 60_000

// variable answers template variable queries. The payload's target names
// the list: services, regions, metrics, or a service's versions deployed
// in the range ({"target": "versions", "service": "checkout"}), which
// makes a chained variable.
func (s *Server) variable(w http.ResponseWriter, r *http.Request) {
	var req contract.VariableRequest
	if !readJSON(w, r, &req) {
		return
	}
	target, _ := req.Payload["target"].(string)
	var values []string
	switch strings.TrimSpace(target) {
	case "services", "service":
		values = services
	case "regions", "region":
		values = regions
	case "versions", "version":
		if req.Range == nil {
			http.Error(w, "versions need a range", http.StatusBadRequest)
			return
		}
		for _, d := range deployments(req.Range.From.UnixMilli(), min(req.Range.To.UnixMilli(), s.opts.Now().UnixMilli())) {
			if selected(req.Payload["service"], d.service) && !slices.Contains(values, d.version) {
				values = append(values, d.version)
			}
		}
		slices.Sort(values)
	default:
		for _, m := range catalog {
			values = append(values, m.name)
		}
	}
	out := make([]contract.VariableValue, 0, len(values))
	for _, v := range values {
		out = append(out, contract.VariableValue{Text: v, Value: v})
	}
	writeJSON(w, out)
}

func (s *Server) tagKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, []contract.TagKey{{Type: "string", Text: "service"}, {Type: "string", Text: "region"}})
}

func (s *Server) tagValuesHandler(w http.ResponseWriter, r *http.Request) {
	var req contract.TagValuesRequest
	if !readJSON(w, r, &req) {
		return
	}
	values := tagValuesWhere(req.Key, req.AdhocFilters)
	out := make([]contract.TagValue, 0, len(values))
	for _, v := range values {
		out = append(out, contract.TagValue{Text: v})
	}
	writeJSON(w, out)
}

// annotations answers SimpleJSON annotation queries with the deployments
// in the range; a query names a service or a region to keep.
func (s *Server) annotations(w http.ResponseWriter, r *http.Request) {
	var req contract.AnnotationRequest
	if !readJSON(w, r, &req) {
		return
	}
	query := strings.TrimSpace(req.Annotation.Query)
	out := []contract.Annotation{}
	for _, d := range deployments(req.Range.From.UnixMilli(), min(req.Range.To.UnixMilli(), s.opts.Now().UnixMilli())) {
		if query != "" && query != d.service && query != d.region {
			continue
		}
		out = append(out, d.event())
	}
	slices.SortStableFunc(out, func(a, b contract.Annotation) int { return int(a.Time - b.Time) })
	writeJSON(w, out)
}

func (d deployment) event() contract.Annotation {
	return contract.Annotation{
		Time: d.at, TimeEnd: d.at + deployTakes, Title: "Deployed " + d.service + " " + d.version,
		Text: fmt.Sprintf("%s %s in %s", d.service, d.version, d.region), Tags: []string{d.service, d.region},
	}
}

// frameField is one field of a frame item of the /query answer.
type frameField struct {
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Values []any  `json:"values"`
}

// eventsFrame is the AnnotationTarget's answer: deployments as a frame,
// selected by the payload and the ad hoc filters like the series are.
func eventsFrame(from, to int64, payload map[string]any, filters []contract.Filter) map[string]any {
	ds := deployments(from, to)
	slices.SortStableFunc(ds, func(a, b deployment) int { return int(a.at - b.at) })
	fields := []frameField{{Name: "time", Type: "time"}, {Name: "timeEnd", Type: "time"}, {Name: "title", Type: "string"}, {Name: "text", Type: "string"}, {Name: "tags"}}
	for i := range fields {
		fields[i].Values = []any{}
	}
	for _, d := range ds {
		k := seriesKey{d.service, d.region}
		if !selected(payload["service"], d.service) || !selected(payload["region"], d.region) || !matches(filters, k.tags()) {
			continue
		}
		e := d.event()
		for i, v := range []any{e.Time, e.TimeEnd, e.Title, e.Text, e.Tags} {
			fields[i].Values = append(fields[i].Values, v)
		}
	}
	return map[string]any{"name": "deployments", "fields": fields}
}
