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

// Fallback is what a list endpoint's outcome means for the older
// dialect's endpoint that serves the same list (/metrics → /search,
// /metric-payload-options → /options, /variable → /search). Every list
// endpoint decides it here, so servers in the wild meet one behaviour.
type Fallback int

const (
	// NoFallback: the outcome stands.
	NoFallback Fallback = iota
	// FallbackInstead: the endpoint is not served (404, 501); the older
	// endpoint's outcome is the answer, whatever it is.
	FallbackInstead
	// FallbackIfAnswers: the endpoint hung up, answered an empty 200 or
	// a 200 that is not the contract (a catch-all's "ok"), which is what
	// minimal servers do for a path they do not route. The older
	// endpoint replaces the outcome only if it answers; if it fails too,
	// the first outcome is the one to report.
	FallbackIfAnswers
)

// FallbackFor decides the fallback for a list endpoint's error, or for
// its answer when err is nil: blank tells an empty (or all-whitespace)
// body.
func FallbackFor(err error, blank bool) Fallback {
	var ce *Error
	switch {
	case notServed(err):
		return FallbackInstead
	case err == nil:
		if blank {
			return FallbackIfAnswers
		}
		return NoFallback
	case errors.As(err, &ce) && (ce.Kind == KindReset || ce.Kind == KindNotContract):
		return FallbackIfAnswers
	}
	return NoFallback
}

// Metrics lists metric names and their payload fields. Servers of the
// SimpleJSON dialect have no /metrics; /search is asked instead (see
// FallbackFor).
func (c *Client) Metrics(ctx context.Context, req contract.MetricsRequest) ([]contract.Metric, error) {
	if req.Payload == nil {
		req.Payload = map[string]any{}
	}
	return readList(ctx, c, contract.PathMetrics, req, contract.PathSearch, contract.SearchRequest{Target: req.Metric}, contract.ReadMetrics)
}

// readList calls a list endpoint and reads its answer, falling back to
// the older dialect's endpoint as FallbackFor decides.
func readList[T any](ctx context.Context, c *Client, path string, req any, older string, olderReq any,
	read func(endpoint string, r io.Reader, lim contract.ListLimits) ([]T, error)) ([]T, error) {
	one := func(path string, req any) ([]T, bool, error) {
		body, err := c.postJSON(ctx, path, req)
		if err != nil {
			return nil, false, err
		}
		endpoint := "POST " + path
		list, err := read(endpoint, bytes.NewReader(body), c.listLimits(ctx))
		if err != nil {
			return nil, false, c.decodeError(ctx, endpoint, err)
		}
		return list, len(bytes.TrimSpace(body)) == 0, nil
	}
	list, blank, err := one(path, req)
	switch FallbackFor(err, blank) {
	case FallbackInstead:
		list, _, err = one(older, olderReq)
	case FallbackIfAnswers:
		if ol, _, oerr := one(older, olderReq); oerr == nil {
			list, err = ol, nil
		}
	}
	return list, err
}

// PayloadOptions lists the options of one payload field. Older servers
// serve it as /options (see FallbackFor).
func (c *Client) PayloadOptions(ctx context.Context, req contract.MetricPayloadOptionsRequest) ([]contract.SelectOption, error) {
	if req.Payload == nil {
		req.Payload = map[string]any{}
	}
	opts, err := readList(ctx, c, contract.PathMetricPayloadOptions, req, contract.PathOptions, req, contract.ReadOptions)
	if isStatus(err, http.StatusNotImplemented) {
		// An optional endpoint the service says it does not support: the
		// field simply has no options to offer.
		return []contract.SelectOption{}, nil
	}
	return opts, err
}

// TagKeys lists the keys ad hoc filters can use: POST /tag-keys, which
// answers [{"type", "text"}] or plain strings.
func (c *Client) TagKeys(ctx context.Context, req contract.TagKeysRequest) ([]contract.FindValue, error) {
	return c.findValues(ctx, contract.PathTagKeys, req)
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
