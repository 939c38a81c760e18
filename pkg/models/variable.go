package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Variable query formats, as the JSON datasource saves them.
const (
	VariableFormatString = "string"
	VariableFormatJSON   = "json"
)

// VariableQuery is one validated template variable query.
type VariableQuery struct {
	RefID string
	// Text is the query as written: the target of the /search fallback.
	Text string
	// Payload is the /variable payload: {"target": Text} for a query in
	// string format, the query's own object for one in JSON format.
	Payload map[string]any
	// Range is nil when Grafana sent no time range (a variable refreshed
	// on dashboard load always has one; a hand-made API call may not).
	Range *contract.Range
}

// rawVariable is what frontends save for a variable query: ours, {"target",
// "payload"}, or the JSON datasource's, {"query", "format"}.
type rawVariable struct {
	Target   *json.RawMessage `json:"target"`
	Payload  json.RawMessage  `json:"payload"`
	Query    *json.RawMessage `json:"query"`
	Format   string           `json:"format"`
	RangeRaw *rawRange        `json:"rangeRaw"`
}

// ParseVariableQuery validates a query of type "variable". Both models are
// read exactly as saved; the oldest JSON datasource versions saved the
// query text alone, as a JSON string, and that is read too.
func ParseVariableQuery(dq backend.DataQuery) (*VariableQuery, error) {
	v := &VariableQuery{RefID: dq.RefID}
	var raw rawVariable
	body := bytes.TrimSpace(dq.JSON)
	if len(body) > 0 && body[0] == '"' {
		var text string
		if err := json.Unmarshal(body, &text); err != nil {
			return nil, fmt.Errorf("the variable query is not valid JSON (%v); open the variable and save it again", err)
		}
		raw.Query = new(json.RawMessage)
		*raw.Query, _ = json.Marshal(text)
	} else if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("the variable query is not valid JSON (%v); open the variable and save it again", err)
	}

	if err := checkText(
		textField{"the variable query's refId", dq.RefID, MaxRefIDBytes, variableEditor},
		textField{"the variable query's format", raw.Format, MaxFormatBytes, variableEditor},
	); err != nil {
		return nil, err
	}
	target, err := stringField("target", raw.Target)
	if err != nil {
		return nil, err
	}
	switch {
	case target != "" || raw.Target != nil && raw.Query == nil:
		v.Text = target
		payload, err := ParsePayload(raw.Payload)
		if err != nil {
			return nil, fmt.Errorf("variable query: %w", err)
		}
		v.Payload = maps.Clone(payload)
		v.Payload["target"] = v.Text
	case raw.Query != nil:
		if v.Text, err = stringField("query", raw.Query); err != nil {
			return nil, err
		}
		if v.Payload, err = variablePayload(v.Text, raw.Format); err != nil {
			return nil, err
		}
	default:
		// An empty query lists everything, as SimpleJSON's /search does
		// for an empty target.
		v.Payload = map[string]any{"target": ""}
	}

	// A query in the JSON format is a payload, bounded as payloads are.
	if strings.ToLower(strings.TrimSpace(raw.Format)) != VariableFormatJSON {
		if err := checkText(textField{"the variable query", v.Text, MaxTargetBytes, variableEditor}); err != nil {
			return nil, err
		}
	}
	if !dq.TimeRange.From.IsZero() || !dq.TimeRange.To.IsZero() {
		from, to, err := checkRange(dq.TimeRange)
		if err != nil {
			return nil, err
		}
		v.Range = &contract.Range{From: from, To: to, Raw: raw.RangeRaw.or(from, to)}
	}
	return v, nil
}

const variableEditor = "the variable's settings"

// stringField reads a model field that must be a string; absent and null
// read as "".
func stringField(name string, raw *json.RawMessage) (string, error) {
	var s string
	if raw == nil || string(bytes.TrimSpace(*raw)) == "null" {
		return "", nil
	}
	if err := json.Unmarshal(*raw, &s); err != nil {
		return "", fmt.Errorf("the variable query's %s must be a string, got %s", name, contract.Snippet(*raw, 40))
	}
	return strings.TrimSpace(s), nil
}

// variablePayload is the /variable payload of the JSON datasource's model:
// the text as the target, or, in JSON format, the object the text holds.
func variablePayload(text, format string) (map[string]any, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", VariableFormatString:
		return map[string]any{"target": text}, nil
	case VariableFormatJSON:
	default:
		return nil, fmt.Errorf("variable query format %q is not supported: use %q or %q", format, VariableFormatString, VariableFormatJSON)
	}
	if text == "" {
		return nil, fmt.Errorf(`the variable query is empty but has the JSON format: write a JSON object such as {"target": "services"}, or set the format to %q`, VariableFormatString)
	}
	if len(text) > MaxPayloadBytes {
		return nil, fmt.Errorf("the variable query is %d KB, above the %d KB limit", len(text)>>10, MaxPayloadBytes>>10)
	}
	var payload map[string]any
	if err := json.Unmarshal([]byte(text), &payload); err != nil || payload == nil {
		why := "it is not a JSON object"
		if err != nil {
			why = err.Error()
		}
		return nil, fmt.Errorf("the variable query %s has the JSON format but is not a valid JSON object (%s): fix the JSON, or set the format to %q", contract.Snippet([]byte(text), 60), why, VariableFormatString)
	}
	return payload, nil
}

// ContractRequest is the POST /variable body.
func (v *VariableQuery) ContractRequest() contract.VariableRequest {
	return contract.VariableRequest{Payload: v.Payload, Range: v.Range}
}

// SearchRequest is the POST /search body SimpleJSON servers get instead.
func (v *VariableQuery) SearchRequest() contract.SearchRequest {
	return contract.SearchRequest{Target: v.Text}
}
