package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// Variable runs a template variable query: POST /variable, or, on a
// SimpleJSON server, POST /search with the query's text as the target, as
// client.FallbackFor decides for every list endpoint. The Result's Value
// is *frames.VariableOptions.
func (p *Pipeline) Variable(ctx context.Context, v *models.VariableQuery, skipCache bool) (*Result, error) {
	search := func() (*Result, error) {
		return p.Run(ctx, Call{Path: contract.PathSearch, Body: v.SearchRequest(), Kind: "options",
			Decode: p.list(ctx, contract.PathSearch, readOptions)}, skipCache)
	}
	res, err := p.Run(ctx, Call{Path: contract.PathVariable, Body: v.ContractRequest(), Kind: "options",
		Decode: p.list(ctx, contract.PathVariable, readOptions)}, skipCache)
	blank := err == nil && res.Value.(*frames.VariableOptions).Blank
	switch client.FallbackFor(err, blank) {
	case client.FallbackInstead:
		first := err
		res, err = search()
		if notFound(first) {
			// ExplainNoVariables rewords only a 404 from /search.
			err = p.client.ExplainNoVariables(ctx, err)
		}
	case client.FallbackIfAnswers:
		if sres, serr := search(); serr == nil {
			res, err = sres, nil
		}
	}
	return res, err
}

// Annotations runs an annotation query: the JSON datasource's through
// /query, whose answer is read as a table of events, SimpleJSON's through
// POST /annotations. The Result's Value is *frames.Annotations.
func (p *Pipeline) Annotations(ctx context.Context, a *models.AnnotationQuery, skipCache bool) (*Result, error) {
	call := Call{Path: contract.PathAnnotations, Body: a.ContractRequest(), Kind: "events",
		Decode: p.list(ctx, contract.PathAnnotations, readEvents(contract.ReadAnnotations))}
	if a.Metric != nil {
		call = Call{Path: contract.PathQuery, Body: a.Metric.ContractRequest(), Kind: "events",
			Decode: p.list(ctx, contract.PathQuery, readEvents(contract.ReadAnnotationTables))}
	}
	res, err := p.Run(ctx, call, skipCache)
	return res, p.client.ExplainNotFound(ctx, err)
}

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
	values, err := contract.ReadFindValues(endpoint, seen, lim)
	if err != nil {
		return nil, err
	}
	return &frames.VariableOptions{Values: values, Blank: !seen.any}, nil
}

func readEvents(read func(string, io.Reader, contract.ListLimits) ([]contract.Annotation, error)) func(string, io.Reader, contract.ListLimits) (Value, error) {
	return func(endpoint string, r io.Reader, lim contract.ListLimits) (Value, error) {
		events, err := read(endpoint, r, lim)
		if err != nil {
			return nil, err
		}
		return &frames.Annotations{Events: events}, nil
	}
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

func notFound(err error) bool {
	var ce *client.Error
	return errors.As(err, &ce) && ce.Kind == client.KindHTTP && ce.StatusCode == http.StatusNotFound
}
