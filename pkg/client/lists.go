package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Metrics lists metric names and their payload fields. Servers of the
// SimpleJSON dialect have no /metrics; /search is asked instead when
// /metrics answers 404 or 501, and also when it closes the connection
// without an answer or answers 200 with an empty body, which is what some
// minimal servers do for a path they do not route.
func (c *Client) Metrics(ctx context.Context, req contract.MetricsRequest) ([]contract.Metric, error) {
	if req.Payload == nil {
		req.Payload = map[string]any{}
	}
	endpoint := "POST " + contract.PathMetrics
	body, err := c.postJSON(ctx, contract.PathMetrics, req)
	switch {
	case notServed(err):
		endpoint = "POST " + contract.PathSearch
		body, err = c.postJSON(ctx, contract.PathSearch, contract.SearchRequest{Target: req.Metric})
	case closedWithoutAnswer(err) || err == nil && len(bytes.TrimSpace(body)) == 0:
		// Only a /search that answers replaces what /metrics did; if it
		// fails too, the /metrics outcome is the one to report.
		if sb, serr := c.postJSON(ctx, contract.PathSearch, contract.SearchRequest{Target: req.Metric}); serr == nil {
			endpoint, body, err = "POST "+contract.PathSearch, sb, nil
		}
	}
	if err != nil {
		return nil, err
	}
	metrics, err := contract.ReadMetrics(endpoint, bytes.NewReader(body), c.listLimits(ctx))
	if err != nil {
		return nil, c.decodeError(ctx, endpoint, err)
	}
	return metrics, nil
}

// closedWithoutAnswer tells a connection the service closed before any
// answer from other failures.
func closedWithoutAnswer(err error) bool {
	var ce *Error
	return errors.As(err, &ce) && ce.Kind == KindReset
}

// PayloadOptions lists the options of one payload field. Older servers
// serve it as /options; 404 falls back to it.
func (c *Client) PayloadOptions(ctx context.Context, req contract.MetricPayloadOptionsRequest) ([]contract.SelectOption, error) {
	if req.Payload == nil {
		req.Payload = map[string]any{}
	}
	endpoint := "POST " + contract.PathMetricPayloadOptions
	body, err := c.postJSON(ctx, contract.PathMetricPayloadOptions, req)
	if notServed(err) {
		endpoint = "POST " + contract.PathOptions
		body, err = c.postJSON(ctx, contract.PathOptions, req)
	}
	if isStatus(err, http.StatusNotImplemented) {
		// An optional endpoint the service says it does not support: the
		// field simply has no options to offer.
		return []contract.SelectOption{}, nil
	}
	if err != nil {
		return nil, err
	}
	opts, err := contract.ReadOptions(endpoint, bytes.NewReader(body), c.listLimits(ctx))
	if err != nil {
		return nil, c.decodeError(ctx, endpoint, err)
	}
	return opts, nil
}

// TagKeys lists the keys ad hoc filters can use: POST /tag-keys, which
// answers [{"type", "text"}] or plain strings.
func (c *Client) TagKeys(ctx context.Context) ([]contract.FindValue, error) {
	return c.findValues(ctx, contract.PathTagKeys, struct{}{})
}

// TagValues lists the values of one key: POST /tag-values {"key"}, which
// answers [{"text"}] or plain strings.
func (c *Client) TagValues(ctx context.Context, req contract.TagValuesRequest) ([]contract.FindValue, error) {
	return c.findValues(ctx, contract.PathTagValues, req)
}

// findValues calls an optional list endpoint. A service that answers 404
// or 501 has no ad hoc filters: that is an empty list, not an error, so
// the filter menu is empty instead of failing.
//
// The answer is read as it streams, within the data source's list limits:
// a list past them is refused (too large, the service's answer) before it
// is held whole, and long before it would reach the browser.
func (c *Client) findValues(ctx context.Context, path string, req any) ([]contract.FindValue, error) {
	buf, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the request: %w", err)
	}
	lim := c.listLimits(ctx)
	var values []contract.FindValue
	_, err = c.Post(ctx, path, buf, func(r io.Reader) error {
		var derr error
		values, derr = contract.ReadFindValues("POST "+path, r, lim)
		return derr
	})
	if notServed(err) {
		return []contract.FindValue{}, nil
	}
	if err != nil {
		return nil, err
	}
	if c.settings.HasSecrets(ctx) {
		scrub := c.settings.ScrubFor(ctx)
		for i, v := range values {
			values[i] = contract.FindValue{Text: scrub(v.Text), Value: scrub(v.Value)}
		}
	}
	return values, nil
}

// listLimits are the data source's limits on list answers.
func (c *Client) listLimits(ctx context.Context) contract.ListLimits {
	return c.settings.Limits.ListLimits(c.settings.ScrubFor(ctx))
}

// decodeError reports an answer that could not be decoded: valid JSON,
// just more of it than one query may decode (too large), or not the
// contract.
func (c *Client) decodeError(ctx context.Context, op string, err error) error {
	var over overLimit
	if errors.As(err, &over) && over.OverLimit() {
		return &Error{Kind: KindTooLarge, Op: op, err: err, msg: op + ": " + c.scrub(ctx, err.Error())}
	}
	return c.notContract(ctx, op, err)
}
