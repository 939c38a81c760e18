package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/decode"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
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
	var ce *client.Error
	switch {
	case notServed(err):
		return FallbackInstead
	case err == nil:
		if blank {
			return FallbackIfAnswers
		}
		return NoFallback
	case errors.As(err, &ce) && (ce.Kind == client.KindReset || ce.Kind == client.KindNotContract):
		return FallbackIfAnswers
	}
	return NoFallback
}

// withFallback runs a list call and, as FallbackFor decides, the older
// dialect's call for the same list. instead is the first call's error
// when the older call's outcome replaced it whatever it was.
func withFallback(first, older func() (*Result, error)) (res *Result, err, instead error) {
	res, err = first()
	blank := err == nil && isBlank(res.Value)
	switch FallbackFor(err, blank) {
	case FallbackInstead:
		instead = err
		res, err = older()
	case FallbackIfAnswers:
		if ores, oerr := older(); oerr == nil {
			res, err = ores, nil
		}
	}
	return res, err, instead
}

func isBlank(v Value) bool {
	switch x := v.(type) {
	case *frames.VariableOptions:
		return x.Blank
	case interface{ blankBody() bool }:
		return x.blankBody()
	}
	return false
}

// Variable runs a template variable query: POST /variable, or, on a
// SimpleJSON server, POST /search with the query's text as the target.
// The Result's Value is *frames.VariableOptions.
func (p *Pipeline) Variable(ctx context.Context, v *models.VariableQuery, skipCache bool) (*Result, error) {
	call := func(path string, body any) func() (*Result, error) {
		return func() (*Result, error) {
			return p.Run(ctx, Call{Path: path, Body: body, Kind: "options", Decode: p.list(ctx, path, readOptions)}, skipCache)
		}
	}
	res, err, instead := withFallback(call(contract.PathVariable, v.ContractRequest()), call(contract.PathSearch, v.SearchRequest()))
	if client.StatusOf(instead) == http.StatusNotFound {
		// Only a 404 from /search after one from /variable is reworded.
		err = p.explainNoVariables(ctx, err)
	}
	return res, err
}

// Metrics lists metric names and their payload fields: POST /metrics, or
// SimpleJSON's /search.
func (p *Pipeline) Metrics(ctx context.Context, req contract.MetricsRequest) ([]contract.Metric, error) {
	if req.Payload == nil {
		req.Payload = map[string]any{}
	}
	res, err, _ := withFallback(
		resourceCall(ctx, p, contract.PathMetrics, req, decode.ReadMetrics),
		resourceCall(ctx, p, contract.PathSearch, contract.SearchRequest{Target: req.Metric}, decode.ReadMetrics))
	if err != nil {
		return nil, err
	}
	return res.Value.(*list[contract.Metric]).items, nil
}

// PayloadOptions lists the options of one payload field:
// POST /metric-payload-options, or /options on older servers.
func (p *Pipeline) PayloadOptions(ctx context.Context, req contract.MetricPayloadOptionsRequest) ([]contract.SelectOption, error) {
	if req.Payload == nil {
		req.Payload = map[string]any{}
	}
	res, err, _ := withFallback(
		resourceCall(ctx, p, contract.PathMetricPayloadOptions, req, decode.ReadOptions),
		resourceCall(ctx, p, contract.PathOptions, req, decode.ReadOptions))
	if client.StatusOf(err) == http.StatusNotImplemented {
		// An optional endpoint the service says it does not support: the
		// field simply has no options to offer.
		return []contract.SelectOption{}, nil
	}
	if err != nil {
		return nil, err
	}
	return res.Value.(*list[contract.SelectOption]).items, nil
}

// TagKeys lists the keys ad hoc filters can use: POST /tag-keys, which
// answers [{"type", "text"}] or plain strings.
func (p *Pipeline) TagKeys(ctx context.Context, req contract.TagKeysRequest) ([]contract.FindValue, error) {
	return p.findValues(ctx, contract.PathTagKeys, req)
}

// TagValues lists the values of one key: POST /tag-values {"key"}, which
// answers [{"text"}] or plain strings.
func (p *Pipeline) TagValues(ctx context.Context, req contract.TagValuesRequest) ([]contract.FindValue, error) {
	return p.findValues(ctx, contract.PathTagValues, req)
}

// findValues calls an optional list endpoint. A service that answers 404
// or 501 has no ad hoc filters: that is an empty list, not an error, so
// the filter menu is empty instead of failing.
func (p *Pipeline) findValues(ctx context.Context, path string, req any) ([]contract.FindValue, error) {
	res, err := resourceCall(ctx, p, path, req, decode.ReadFindValues)()
	if notServed(err) {
		return []contract.FindValue{}, nil
	}
	if err != nil {
		return nil, err
	}
	return res.Value.(*list[contract.FindValue]).items, nil
}

// resourceCall is one call the query editor's resources make. Its answer
// is read as it streams, within the data source's list limits, so a list
// past them is refused before it is held whole. Identical calls in
// flight share one, but none is cached: an editor that asks again wants
// the service's list as it is now.
func resourceCall[T any](ctx context.Context, p *Pipeline, path string, body any,
	read func(endpoint string, r io.Reader, lim contract.ListLimits) ([]T, error)) func() (*Result, error) {
	dec := p.list(ctx, path, func(endpoint string, r io.Reader, lim contract.ListLimits) (Value, error) {
		seen := &nonBlank{r: r}
		items, err := read(endpoint, seen, lim)
		if err != nil {
			return nil, err
		}
		return &list[T]{items: items, blank: !seen.any}, nil
	})
	return func() (*Result, error) {
		return p.Run(ctx, Call{Path: path, Body: body, Kind: "list", Decode: dec, Uncached: true}, false)
	}
}

// list is a resource's decoded answer.
type list[T any] struct {
	items []T
	blank bool
}

func (l *list[T]) blankBody() bool { return l.blank }

// Redact scrubs every string of the items, keys and values, through their
// JSON form: a service that echoes our headers into metric labels,
// options or payload definitions must not hand the API key to whoever can
// open the query editor, whatever field it chose.
func (l *list[T]) Redact(scrub func(string) string) {
	raw, err := json.Marshal(l.items)
	if err != nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers pass through exactly
	var tree any
	if dec.Decode(&tree) != nil {
		return
	}
	if raw, err = json.Marshal(scrubTree(tree, scrub)); err != nil {
		return
	}
	var out []T
	if json.Unmarshal(raw, &out) == nil && out != nil {
		l.items = out
	}
}

func scrubTree(v any, scrub func(string) string) any {
	switch x := v.(type) {
	case string:
		return scrub(x)
	case []any:
		for i := range x {
			x[i] = scrubTree(x[i], scrub)
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[scrub(k)] = scrubTree(val, scrub)
		}
		return out
	}
	return v
}

// SizeBytes is a rough size; resource answers are never cached.
func (l *list[T]) SizeBytes() int64 { return int64(64 + 64*len(l.items)) }

// list reads a list answer as it streams, within the data source's list
// limits, so an answer past them is refused before it is held whole. Its
// values are scrubbed after decoding, with the rest of the answer (see
// call); the text an error quotes is scrubbed before it is cut.
func (p *Pipeline) list(ctx context.Context, path string, read func(endpoint string, r io.Reader, lim contract.ListLimits) (Value, error)) func(io.Reader) (Value, error) {
	lim := p.settings.Limits.ListLimits(p.settings.ScrubFor(ctx))
	return func(r io.Reader) (Value, error) { return read("POST "+path, r, lim) }
}

func readOptions(endpoint string, r io.Reader, lim contract.ListLimits) (Value, error) {
	seen := &nonBlank{r: r}
	values, err := decode.ReadFindValues(endpoint, seen, lim)
	if err != nil {
		return nil, err
	}
	return &frames.VariableOptions{Values: values, Blank: !seen.any}, nil
}

// nonBlank tells whether a body held anything but whitespace.
type nonBlank struct {
	r   io.Reader
	any bool
}

func (b *nonBlank) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if !b.any && len(bytes.TrimSpace(p[:n])) > 0 {
		b.any = true
	}
	return n, err
}

func notServed(err error) bool {
	s := client.StatusOf(err)
	return s == http.StatusNotFound || s == http.StatusNotImplemented
}
