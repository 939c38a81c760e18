package models

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// AnnotationQuery is one validated annotation query, in one of two ways:
// the JSON datasource's, a metric query run through /query whose answer
// is a table of events (Metric is set), or a SimpleJSON annotation sent to
// /annotations (Metric is nil).
type AnnotationQuery struct {
	RefID  string
	Metric *Query

	Annotation contract.AnnotationQuery
	Range      contract.Range
}

// rawAnnotation is the part of an annotation model that tells the two
// ways apart, plus the SimpleJSON annotation's own fields.
type rawAnnotation struct {
	Target    *json.RawMessage `json:"target"`
	Query     *string          `json:"query"`
	Name      string           `json:"name"`
	Enable    *bool            `json:"enable"`
	IconColor string           `json:"iconColor"`
	RangeRaw  *rawRange        `json:"rangeRaw"`
	Format    string           `json:"format"`
	Type      string           `json:"type"`
}

// ParseAnnotationQuery validates a query of type "annotations". A model
// with a target is the JSON datasource's; one with only a query string is
// a saved SimpleJSON annotation, {"query", "name", "enable", "iconColor"}.
func ParseAnnotationQuery(dq backend.DataQuery) (*AnnotationQuery, error) {
	var raw rawAnnotation
	if err := json.Unmarshal(dq.JSON, &raw); err != nil {
		return nil, fmt.Errorf("the annotation query is not valid JSON (%v); open the annotation in the dashboard settings and save it again", err)
	}
	a := &AnnotationQuery{RefID: dq.RefID}
	if raw.Query == nil || hasTarget(raw.Target) {
		q, err := ParseQuery(dq)
		if err != nil {
			return nil, fmt.Errorf("annotation query: %w", err)
		}
		if raw.Format == "" && raw.Type == "" {
			// Events are rows: servers that answer by SimpleJSON's
			// format hint then answer a table.
			q.Format = FormatTable
		}
		a.Metric = q
		return a, nil
	}
	const where = "the annotation's settings"
	if err := checkText(
		textField{"the annotation query's refId", dq.RefID, MaxRefIDBytes, where},
		textField{"the annotation query", *raw.Query, MaxTargetBytes, where},
		textField{"the annotation's name", raw.Name, MaxNameBytes, where},
		textField{"the annotation's color", raw.IconColor, MaxColorBytes, where},
	); err != nil {
		return nil, err
	}
	from, to, err := checkRange(dq.TimeRange)
	if err != nil {
		return nil, err
	}
	a.Range = contract.Range{From: from, To: to, Raw: raw.RangeRaw.or(from, to)}
	// A saved annotation runs only when enabled, so one that reaches the
	// backend without the field is an enabled one.
	enable := raw.Enable == nil || *raw.Enable
	a.Annotation = contract.AnnotationQuery{Name: raw.Name, Enable: enable, IconColor: raw.IconColor, Query: *raw.Query}
	return a, nil
}

// hasTarget tells whether a model names a target: a non-empty string, or
// anything else ParseQuery should reject with its own words.
func hasTarget(raw *json.RawMessage) bool {
	if raw == nil {
		return false
	}
	var s string
	if err := json.Unmarshal(*raw, &s); err != nil {
		return string(*raw) != "null"
	}
	return strings.TrimSpace(s) != ""
}

// ContractRequest is the POST /annotations body of a SimpleJSON annotation.
func (a *AnnotationQuery) ContractRequest() contract.AnnotationRequest {
	return contract.AnnotationRequest{Range: a.Range, RangeRaw: a.Range.Raw, Annotation: a.Annotation}
}
