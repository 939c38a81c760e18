package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/pipeline"
)

// maxResourceBody bounds what the query editor may post to a resource.
const maxResourceBody = 64 << 10

// CallResource serves the editors: "metrics" lists metrics and their
// payload fields, "metric-payload-options" the options of one field,
// "tag-keys" and "tag-values" the keys and values of ad hoc filters. The
// pipeline scrubs every string of the service's lists, and the client
// every error, before they reach the browser.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	ctx = d.withIdentity(ctx, req.PluginContext, identity.ForwardedOf(req.Headers), false)
	status, body := d.resource(ctx, req)
	return sendJSON(sender, status, body)
}

func sendJSON(sender backend.CallResourceResponseSender, status int, body any) error {
	out, err := json.Marshal(body)
	if err != nil {
		status, out = http.StatusInternalServerError, []byte(`{"error":"cannot encode the answer"}`)
	}
	return sender.Send(&backend.CallResourceResponse{
		Status:  status,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
		Body:    out,
	})
}

func (d *Datasource) resource(ctx context.Context, req *backend.CallResourceRequest) (int, any) {
	path := strings.Trim(req.Path, "/")
	if req.Method != http.MethodPost && req.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, errorBody(fmt.Errorf("resource %q accepts POST (or GET), not %s", path, req.Method))
	}
	if len(req.Body) > maxResourceBody {
		return http.StatusRequestEntityTooLarge, errorBody(fmt.Errorf("the request body is %d KB, above the %d KB limit", len(req.Body)>>10, maxResourceBody>>10))
	}
	route, ok := d.routes()[path]
	if !ok {
		return http.StatusNotFound, errorBody(fmt.Errorf("no resource %q: this data source serves %q, %q, %q and %q", path,
			models.ResourceMetrics, models.ResourceMetricPayloadOptions, models.ResourceTagKeys, models.ResourceTagValues))
	}
	body := req.Body
	if req.Method == http.MethodGet && len(bytes.TrimSpace(body)) == 0 {
		var err error
		if body, err = queryBody(req.URL); err != nil {
			return resourceError(err)
		}
	}
	out, err := route(ctx, body)
	if err != nil {
		return resourceError(err)
	}
	return http.StatusOK, out
}

// queryBody reads a GET's parameters from its query string, as the body
// a POST would send: ?key=region is {"key": "region"}. A value that is a
// JSON object or list (payload, range, adhocFilters) is that JSON.
func queryBody(rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &badRequest{fmt.Errorf("the request URL cannot be read: %v", err)}
	}
	params, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, &badRequest{fmt.Errorf("the request URL cannot be read: its query string: %v", err)}
	}
	if len(params) == 0 {
		return nil, nil
	}
	fields := make(map[string]json.RawMessage, len(params))
	for k, vs := range params {
		v := vs[len(vs)-1]
		if t := strings.TrimSpace(v); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
			fields[k] = json.RawMessage(t)
			continue
		}
		fields[k], _ = json.Marshal(v)
	}
	return json.Marshal(fields)
}

// route serves one resource: it reads the body and asks the service.
type route func(ctx context.Context, body []byte) (any, error)

func (d *Datasource) routes() map[string]route {
	return map[string]route{
		models.ResourceMetrics: func(ctx context.Context, body []byte) (any, error) {
			var r contract.MetricsRequest
			if err := decodeBody(body, &r); err != nil {
				return nil, err
			}
			return d.pipeline.Metrics(ctx, r)
		},
		models.ResourceMetricPayloadOptions: func(ctx context.Context, body []byte) (any, error) {
			var r contract.MetricPayloadOptionsRequest
			if err := decodeBody(body, &r); err != nil {
				return nil, err
			}
			if r.Metric == "" || r.Name == "" {
				return nil, &badRequest{errors.New(`"metric" and "name" are required`)}
			}
			return d.pipeline.PayloadOptions(ctx, r)
		},
		// Ad hoc filters: both answer Grafana's MetricFindValue list, and
		// an empty one when the service has no such endpoint.
		models.ResourceTagKeys: func(ctx context.Context, body []byte) (any, error) {
			var r contract.TagKeysRequest
			if err := decodeBody(body, &r); err != nil {
				return nil, err
			}
			return d.pipeline.TagKeys(ctx, r)
		},
		models.ResourceTagValues: func(ctx context.Context, body []byte) (any, error) {
			var r contract.TagValuesRequest
			if err := decodeBody(body, &r); err != nil {
				return nil, err
			}
			if strings.TrimSpace(r.Key) == "" {
				return nil, &badRequest{errors.New(`"key" is required: the ad hoc filter key whose values to list`)}
			}
			return d.pipeline.TagValues(ctx, r)
		},
	}
}

// badRequest is a resource call the route cannot serve as sent.
type badRequest struct{ err error }

func (e *badRequest) Error() string { return e.err.Error() }

func decodeBody(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &badRequest{fmt.Errorf("the request body is not the expected JSON: %v", err)}
	}
	return nil
}

func resourceError(err error) (int, any) {
	var br *badRequest
	if status, ok := pipeline.ServiceStatus(err); ok {
		return int(status), errorBody(err)
	}
	switch {
	case errors.As(err, &br):
		return http.StatusBadRequest, errorBody(err)
	}
	return http.StatusInternalServerError, errorBody(err)
}

func errorBody(err error) map[string]string { return map[string]string{"error": err.Error()} }
