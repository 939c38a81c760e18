package plugin

import (
	"bytes"
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
	// Alert rules ask for fresh data with this header.
	skipCache := req.Headers[cacheSkipHeader] == "true" || req.GetHTTPHeader(cacheSkipHeader) == "true"
	return concurrent.QueryData(ctx, req, func(ctx context.Context, q concurrent.Query) backend.DataResponse {
		return d.runQuery(ctx, q.DataQuery, forAlerting, skipCache)
	}, d.settings.Concurrency)
}

const cacheSkipHeader = "X-Cache-Skip"

func (d *Datasource) runQuery(ctx context.Context, dq backend.DataQuery, forAlerting, skipCache bool) backend.DataResponse {
	q, err := models.ParseQuery(dq)
	if err != nil {
		return errorResponse(&queryError{err})
	}
	if forAlerting && q.Format == models.FormatTable {
		return errorResponse(&queryError{frames.ErrTableInAlert})
	}
	body, err := json.Marshal(q.ContractRequest())
	if err != nil {
		return errorResponse(fmt.Errorf("cannot encode the query: %w", err))
	}
	answer, err := d.fetch(ctx, body, int(q.MaxDataPoints), skipCache)
	if err != nil {
		return errorResponse(err)
	}
	out, err := answer.Frames(frames.Options{
		Alias:         q.Alias,
		ExecutedQuery: d.executedQuery(body),
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

// fetch calls POST /query, sharing one upstream call among identical
// concurrent queries of this instance (same settings version, same body;
// the plugin forwards no per-user headers, so the body is the whole key),
// and keeps the answer for the cache TTL when the cache is on. The answer
// is read-only; each caller builds its own frames from it.
func (d *Datasource) fetch(ctx context.Context, body []byte, sizeHint int, skipCache bool) (*frames.Answer, error) {
	key := string(body)
	if d.cache != nil && !skipCache {
		if answer, ok := d.cache.Get(key); ok {
			return answer, nil
		}
	}
	ch := d.inflight.DoChan(key, func() (any, error) {
		// The shared call must not die with the first caller's context.
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.settings.Timeout)
		defer cancel()
		var answer *frames.Answer
		err := d.client.Query(callCtx, body, func(r io.Reader) error {
			var derr error
			answer, derr = frames.Decode(r, sizeHint)
			return derr
		})
		if err != nil {
			return nil, err
		}
		if len(d.settings.Secrets) > 0 {
			answer.Redact(d.settings.Scrub)
		}
		if d.cache != nil {
			d.cache.Put(key, answer, answer.SizeBytes())
		}
		return answer, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*frames.Answer), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("the query was canceled before the service answered: %w", ctx.Err())
	}
}

// executedQuery is what the query inspector shows: the call and its body,
// which holds no secret (credentials travel in headers).
func (d *Datasource) executedQuery(body []byte) string {
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		return ""
	}
	return fmt.Sprintf("POST %s%s\n%s", d.client.BaseURL(), contract.PathQuery, pretty.Bytes())
}
