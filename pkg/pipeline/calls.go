package pipeline

import (
	"context"
	"io"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// Variable runs a template variable query: POST /variable, or, on a
// SimpleJSON server that answers it 404 or 501, POST /search with the
// query's text as the target. The Result's Value is *frames.VariableOptions.
func (p *Pipeline) Variable(ctx context.Context, v *models.VariableQuery, skipCache bool) (*Result, error) {
	res, err := p.Run(ctx, Call{Path: contract.PathVariable, Body: v.ContractRequest(), Kind: "options",
		Decode: p.small(ctx, contract.PathVariable, decodeOptions)}, skipCache)
	if client.NotServed(err) {
		res, err = p.Run(ctx, Call{Path: contract.PathSearch, Body: v.SearchRequest(), Kind: "options",
			Decode: p.small(ctx, contract.PathSearch, decodeOptions)}, skipCache)
	}
	return res, err
}

// Annotations runs an annotation query: the JSON datasource's through
// /query, whose answer is read as a table of events, SimpleJSON's through
// POST /annotations. The Result's Value is *frames.Annotations.
func (p *Pipeline) Annotations(ctx context.Context, a *models.AnnotationQuery, skipCache bool) (*Result, error) {
	call := Call{Path: contract.PathAnnotations, Body: a.ContractRequest(), Kind: "events",
		Decode: p.small(ctx, contract.PathAnnotations, decodeEvents(contract.DecodeAnnotations))}
	if a.Metric != nil {
		call = Call{Path: contract.PathQuery, Body: a.Metric.ContractRequest(), Kind: "events",
			Decode: p.small(ctx, contract.PathQuery, decodeEvents(contract.DecodeAnnotationTables))}
	}
	res, err := p.Run(ctx, call, skipCache)
	return res, p.client.ExplainNotFound(ctx, err)
}

// small reads a small answer whole, bounded by the client's size limit,
// and scrubs it before decoding: decoders quote the body in their errors,
// and a quote cut short must not keep half of a secret.
func (p *Pipeline) small(ctx context.Context, path string, decode func(endpoint string, body []byte) (Value, error)) func(io.Reader) (Value, error) {
	return func(r io.Reader) (Value, error) {
		body, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		if p.settings.HasSecrets(ctx) {
			body = []byte(p.settings.ScrubFor(ctx)(string(body)))
		}
		return decode("POST "+path, body)
	}
}

func decodeOptions(endpoint string, body []byte) (Value, error) {
	values, err := contract.DecodeFindValues(endpoint, body)
	if err != nil {
		return nil, err
	}
	return &frames.VariableOptions{Values: values}, nil
}

func decodeEvents(decode func(string, []byte) ([]contract.Annotation, error)) func(string, []byte) (Value, error) {
	return func(endpoint string, body []byte) (Value, error) {
		events, err := decode(endpoint, body)
		if err != nil {
			return nil, err
		}
		return &frames.Annotations{Events: events}, nil
	}
}
