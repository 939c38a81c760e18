package pipeline

import (
	"context"
	"io"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/decode"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// Annotations runs an annotation query: the JSON datasource's through
// /query, whose answer is read as a table of events, SimpleJSON's through
// POST /annotations. The Result's Value is *frames.Annotations.
func (p *Pipeline) Annotations(ctx context.Context, a *models.AnnotationQuery, skipCache bool) (*Result, error) {
	call := Call{Path: contract.PathAnnotations, Body: a.ContractRequest(), Kind: "events",
		Decode: p.list(ctx, contract.PathAnnotations, readEvents(decode.ReadAnnotations))}
	if a.Metric != nil {
		call = Call{Path: contract.PathQuery, Body: a.Metric.ContractRequest(), Kind: "events",
			Decode: p.list(ctx, contract.PathQuery, readEvents(decode.ReadAnnotationTables))}
	}
	res, err := p.Run(ctx, call, skipCache)
	return res, p.ExplainNotFound(ctx, err)
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
