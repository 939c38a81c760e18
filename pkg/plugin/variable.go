package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// queryVariable answers template variable queries: one frame of text and
// value fields, the variable's options.
func (d *Datasource) queryVariable(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return d.runEach(ctx, req, d.runVariable)
}

func (d *Datasource) runVariable(ctx context.Context, dq backend.DataQuery, f flags) backend.DataResponse {
	if f.forAlerting {
		return errorResponse(notForAlerts(models.QueryTypeVariable))
	}
	v, err := models.ParseVariableQuery(dq)
	if err != nil {
		return errorResponse(&queryError{err})
	}
	res, err := d.pipeline.Variable(ctx, v, f.skipCache)
	if err != nil {
		return errorResponse(err)
	}
	return frameResponse(res.Value.(*frames.VariableOptions).Frame(), dq.RefID, res.Sent.String())
}

// frameResponse is a response of one frame that shows, in the query
// inspector, the request as sent.
func frameResponse(f *data.Frame, refID, executed string) backend.DataResponse {
	f.RefID = refID
	f.Meta.ExecutedQueryString = executed
	return backend.DataResponse{Frames: data.Frames{f}}
}
