package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/concurrent"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// cacheSkipHeader is how alert rules ask for fresh data.
const cacheSkipHeader = "X-Cache-Skip"

// queryMetrics runs each query on its own POST /query (answers do not say
// which target they belong to), concurrently up to the configured limit.
// Each query gets its own response; a panic in one becomes its error.
func (d *Datasource) queryMetrics(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	forAlerting := req.Headers[backend.FromAlertHeaderName] == "true"
	skipCache := req.Headers[cacheSkipHeader] == "true" || req.GetHTTPHeader(cacheSkipHeader) == "true"
	return concurrent.QueryData(ctx, req, func(ctx context.Context, q concurrent.Query) backend.DataResponse {
		return d.runQuery(ctx, q.DataQuery, forAlerting, skipCache)
	}, d.settings.Concurrency)
}

func (d *Datasource) runQuery(ctx context.Context, dq backend.DataQuery, forAlerting, skipCache bool) backend.DataResponse {
	q, err := models.ParseQuery(dq)
	if err != nil {
		return errorResponse(&queryError{err})
	}
	if forAlerting && q.Format == models.FormatTable {
		return errorResponse(&queryError{frames.ErrTableInAlert})
	}
	res, err := d.pipeline.Query(ctx, q, skipCache)
	if err != nil {
		return errorResponse(err)
	}
	out, err := res.Answer.Frames(frames.Options{
		Alias:         q.Alias,
		ExecutedQuery: res.Sent.String(),
		MaxDataPoints: q.MaxDataPoints,
		ForAlerting:   forAlerting,
		AsTable:       q.Format == models.FormatTable,
	})
	if err != nil {
		return errorResponse(&queryError{err})
	}
	for _, f := range out {
		f.RefID = q.RefID
	}
	return backend.DataResponse{Frames: out}
}
