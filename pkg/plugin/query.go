package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/concurrent"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// queryMetrics runs each query on its own POST /query (answers do not say
// which target they belong to), concurrently up to the configured limit.
// Each query gets its own response; a panic in one becomes its error.
func (d *Datasource) queryMetrics(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	forAlerting := req.Headers[backend.FromAlertHeaderName] == "true"
	return concurrent.QueryData(ctx, req, func(ctx context.Context, q concurrent.Query) backend.DataResponse {
		return d.runQuery(ctx, q.DataQuery, forAlerting)
	}, d.settings.Concurrency)
}

func (d *Datasource) runQuery(ctx context.Context, dq backend.DataQuery, forAlerting bool) backend.DataResponse {
	q, err := models.ParseQuery(dq)
	if err != nil {
		return errorResponse(&queryError{err})
	}
	if forAlerting && q.Format == models.FormatTable {
		return errorResponse(&queryError{frames.ErrTableInAlert})
	}
	body := q.ContractRequest()
	var answer *frames.Answer
	err = d.client.Query(ctx, body, func(r io.Reader) error {
		var derr error
		answer, derr = frames.Decode(r, int(q.MaxDataPoints))
		return derr
	})
	if err != nil {
		return errorResponse(err)
	}
	out, err := answer.Frames(frames.Options{
		Alias:         q.Alias,
		ExecutedQuery: d.executedQuery(body),
		MaxDataPoints: q.MaxDataPoints,
		ForAlerting:   forAlerting,
	})
	if err != nil {
		return errorResponse(&queryError{err})
	}
	for _, f := range out {
		f.RefID = q.RefID
	}
	return backend.DataResponse{Frames: out}
}

// executedQuery is what the query inspector shows: the call and its body,
// which holds no secret (credentials travel in headers).
func (d *Datasource) executedQuery(body contract.QueryRequest) string {
	b, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		return ""
	}
	return fmt.Sprintf("POST %s%s\n%s", d.client.BaseURL(), contract.PathQuery, b)
}
