package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// queryAnnotations answers annotation queries: one frame of events with
// time, timeEnd (for regions), title, text and tags fields.
func (d *Datasource) queryAnnotations(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return d.runEach(ctx, req, d.runAnnotations)
}

func (d *Datasource) runAnnotations(ctx context.Context, dq backend.DataQuery, f flags) backend.DataResponse {
	if f.forAlerting {
		return errorResponse(notForAlerts(models.QueryTypeAnnotations))
	}
	a, err := models.ParseAnnotationQuery(dq)
	if err != nil {
		return errorResponse(&queryError{err})
	}
	res, err := d.pipeline.Annotations(ctx, a, f.skipCache)
	if err != nil {
		return errorResponse(err)
	}
	return frameResponse(res.Value.(*frames.Annotations).Frame(), dq.RefID, res.Sent.String())
}
