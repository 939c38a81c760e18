package plugin

import (
	"context"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/concurrent"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// cacheSkipHeader is how alert rules ask for fresh data.
const cacheSkipHeader = "X-Cache-Skip"

// flags are what a request's headers say about all of its queries.
type flags struct {
	// forAlerting: the request says it comes from an alert rule (the
	// FromAlert header), so it gets the frames a rule evaluates. Any user
	// can send the header and the rule editor's preview does: who asks is
	// decided apart, by the plugin context's user (identity.AlertEvaluation).
	forAlerting bool
	skipCache   bool   // the caller wants a fresh answer
	org         string // live.Org of the request
}

// runEach runs each query of a request on its own, concurrently up to the
// configured limit: answers do not say which query they belong to. Each
// query gets its own response; a panic in one becomes its error.
func (d *Datasource) runEach(ctx context.Context, req *backend.QueryDataRequest, run func(context.Context, backend.DataQuery, flags) backend.DataResponse) (*backend.QueryDataResponse, error) {
	f := flags{
		forAlerting: req.Headers[backend.FromAlertHeaderName] == "true",
		skipCache:   req.Headers[cacheSkipHeader] == "true" || req.GetHTTPHeader(cacheSkipHeader) == "true",
		org:         live.Org(req.PluginContext),
	}
	ctx = d.withIdentity(ctx, req.PluginContext, identity.ForwardedOfStrings(req.Headers), f.forAlerting)
	return concurrent.QueryData(ctx, req, func(ctx context.Context, q concurrent.Query) backend.DataResponse {
		return run(ctx, q.DataQuery, f)
	}, d.settings.Concurrency)
}

// queryMetrics runs each metric query on its own POST /query.
func (d *Datasource) queryMetrics(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return d.runEach(ctx, req, d.runQuery)
}

func (d *Datasource) runQuery(ctx context.Context, dq backend.DataQuery, f flags) backend.DataResponse {
	q, err := models.ParseQuery(dq)
	if err != nil {
		return errorResponse(&queryError{err})
	}
	if f.forAlerting && q.Format == models.FormatTable {
		return errorResponse(&queryError{frames.ErrTableInAlert})
	}
	// An alert rule evaluates the query once; its Live switch is for
	// panels.
	streamed := q.Live && !f.forAlerting
	notLive := ""
	if streamed {
		if err := d.checkLive(q); err != nil {
			return errorResponse(&queryError{err})
		}
		streamed, notLive = pastRange(q, time.Now())
	}
	res, err := d.pipeline.Query(ctx, q, f.skipCache)
	if err != nil {
		return errorResponse(err)
	}
	if streamed {
		return d.liveResponse(q, dq.JSON, f.org, res)
	}
	out, err := res.Answer.Frames(frames.Options{
		Alias:         q.Alias,
		ExecutedQuery: res.Sent.String(),
		MaxDataPoints: q.MaxDataPoints,
		ForAlerting:   f.forAlerting,
		AsTable:       q.Format == models.FormatTable,
		Downsample:    d.settings.Downsample,
		Wide:          d.settings.Wide,
	})
	if err != nil {
		return errorResponse(&queryError{err})
	}
	if len(res.Answer.Series) == 0 && len(res.Answer.Tables) == 0 {
		// The JSON datasource showed nothing either, and users took a
		// misspelt metric for a quiet one.
		out[0].AppendNotices(data.Notice{Severity: data.NoticeSeverityInfo,
			Text: fmt.Sprintf("the service returned no series for target %q: check the metric name and payload", q.Target)})
	}
	if notLive != "" && len(out) > 0 {
		out[0].AppendNotices(data.Notice{Severity: data.NoticeSeverityInfo, Text: notLive})
	}
	for _, f := range out {
		f.RefID = q.RefID
	}
	return backend.DataResponse{Frames: out}
}

// notForAlerts is the error of a variable or annotation query in an alert
// rule: neither has values to evaluate.
func notForAlerts(queryType string) error {
	return &queryError{fmt.Errorf("%q queries cannot run in alert rules: they feed a dashboard's template variables and annotations, not values to evaluate; alert on a metric query instead", queryType)}
}
