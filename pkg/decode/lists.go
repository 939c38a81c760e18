package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// ErrNotContract reports an answer whose body is not the JSON the contract
// expects for that endpoint (for example a plain "ok" from a server that is
// not an in-house metrics service).
type ErrNotContract struct {
	Endpoint string
	Want     string
	Got      string // the first bytes of the body, for the operator
}

func (e *ErrNotContract) Error() string {
	return fmt.Sprintf("%s answered with something that is not the contract's JSON (want %s, got %s)", e.Endpoint, e.Want, e.Got)
}

// DecodeMetrics reads the answer of POST /metrics or POST /search. Real
// servers send bare strings, {text, value} pairs, or metrics whose label or
// payloads are missing or null; all of them become Metrics. An empty body
// is an empty list. Entries without a name ("" is common in /search
// answers) are skipped; only an answer with entries but no usable one is
// an error.
func DecodeMetrics(endpoint string, body []byte) ([]contract.Metric, error) {
	return ReadMetrics(endpoint, bytes.NewReader(body), contract.ListLimits{})
}

// ReadMetrics reads what DecodeMetrics reads, one metric at a time,
// within lim: more metrics than lim.Items, or one longer than
// lim.ItemBytes, is refused with a *LimitError.
func ReadMetrics(endpoint string, r io.Reader, lim contract.ListLimits) ([]contract.Metric, error) {
	lr := newListReader(endpoint, "an array of metrics", r, lim)
	lr.what, lr.narrow = "metrics", "a more specific payload"
	out := []contract.Metric{}
	items := 0
	err := lr.each(false, func(i int) error {
		if err := lr.addItem(); err != nil {
			return err
		}
		raw, err := lr.raw()
		if err != nil {
			return err
		}
		items++
		var m contract.Metric
		switch firstByte(raw) {
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			m.Value = scalarText(raw)
		case '{':
			var obj struct {
				Label    *string               `json:"label"`
				Text     *string               `json:"text"`
				Value    json.RawMessage       `json:"value"`
				Payloads []contract.PayloadDef `json:"payloads"`
			}
			if err := json.Unmarshal(raw, &obj); err != nil {
				return fmt.Errorf("%s: metric %d: %v", endpoint, i, err)
			}
			m.Value = scalarText(obj.Value)
			switch {
			case obj.Label != nil:
				m.Label = *obj.Label
			case obj.Text != nil:
				m.Label = *obj.Text
			}
			if m.Value == "" {
				m.Value = m.Label
			}
			m.Payloads = obj.Payloads
		default:
			return fmt.Errorf("%s: metric %d must be a string or an object with \"value\", got %s", endpoint, i, lr.quote(raw, 40))
		}
		if m.Value == "" {
			return nil
		}
		if m.Label == "" {
			m.Label = m.Value
		}
		if m.Payloads == nil {
			m.Payloads = []contract.PayloadDef{}
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 && items > 0 {
		return nil, &UnnamedMetricsError{Endpoint: endpoint, Items: items}
	}
	return out, nil
}

// UnnamedMetricsError is a metric list whose entries all lack a name
// (SimpleJSON servers answer [""] to /search when they name their
// metrics only for a target such as "*"): the service speaks the
// contract, the editor just has no names to offer.
type UnnamedMetricsError struct {
	Endpoint string
	Items    int
}

func (e *UnnamedMetricsError) Error() string {
	return fmt.Sprintf("%s: none of the %d metrics has a name (\"value\", or a non-empty string)", e.Endpoint, e.Items)
}

// DecodeOptions reads the answer of POST /metric-payload-options (or
// /options): label/value pairs, or bare strings.
func DecodeOptions(endpoint string, body []byte) ([]contract.SelectOption, error) {
	return ReadOptions(endpoint, bytes.NewReader(body), contract.ListLimits{})
}

// ReadOptions reads what DecodeOptions reads, one option at a time,
// within lim.
func ReadOptions(endpoint string, r io.Reader, lim contract.ListLimits) ([]contract.SelectOption, error) {
	lr := newListReader(endpoint, "an array of {label, value} options", r, lim)
	lr.what, lr.narrow = "options", "a more specific payload"
	out := []contract.SelectOption{}
	err := lr.each(false, func(i int) error {
		if err := lr.addItem(); err != nil {
			return err
		}
		raw, err := lr.raw()
		if err != nil {
			return err
		}
		if firstByte(raw) != '{' {
			v := scalarText(raw)
			out = append(out, contract.SelectOption{Label: v, Value: v})
			return nil
		}
		var o struct {
			Label *string `json:"label"`
			Text  *string `json:"text"`
			Value any     `json:"value"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("%s: option %d: %v", endpoint, i, err)
		}
		opt := contract.SelectOption{Value: o.Value}
		switch {
		case o.Label != nil:
			opt.Label = *o.Label
		case o.Text != nil:
			opt.Label = *o.Text
		default:
			opt.Label = fmt.Sprint(o.Value)
		}
		if opt.Value == nil {
			opt.Value = opt.Label
		}
		out = append(out, opt)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// scalarText turns a JSON string or number into its text; other kinds give "".
func scalarText(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw)
	}
	return ""
}
