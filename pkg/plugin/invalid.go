package plugin

import (
	"context"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// invalidInstance is a data source whose settings did not validate. It
// calls nothing; every query, health check and resource call gets the
// reason, so the user sees what to fix wherever they look.
type invalidInstance struct{ err *settingsError }

var (
	_ backend.QueryDataHandler    = (*invalidInstance)(nil)
	_ backend.CheckHealthHandler  = (*invalidInstance)(nil)
	_ backend.CallResourceHandler = (*invalidInstance)(nil)
	_ backend.StreamHandler       = (*invalidInstance)(nil)
)

func newInvalidInstance(err error) *invalidInstance { return &invalidInstance{&settingsError{err}} }

// QueryData gives each query its own 400 error, so every panel shows it.
func (i *invalidInstance) QueryData(_ context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	res := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		res.Responses[q.RefID] = errorResponse(i.err)
	}
	return res, nil
}

func (i *invalidInstance) CheckHealth(context.Context, *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	// The message names a field, not a value: nothing to scrub.
	return healthError(func(s string) string { return s }, i.err), nil
}

func (i *invalidInstance) CallResource(_ context.Context, _ *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return sendJSON(sender, http.StatusBadRequest, errorBody(i.err))
}

// settingsError is a data source configuration that cannot work: the
// user's input, so a downstream error with status 400, never ours.
type settingsError struct{ err error }

func (e *settingsError) Error() string { return "invalid data source settings: " + e.err.Error() }
func (e *settingsError) Unwrap() error { return e.err }

// SubscribeStream refuses: no channel of this instance can run. The
// panel's query already shows why.
func (i *invalidInstance) SubscribeStream(context.Context, *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
}

func (i *invalidInstance) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream ends at once with the reason, for Grafana's log.
func (i *invalidInstance) RunStream(context.Context, *backend.RunStreamRequest, *backend.StreamSender) error {
	return i.err
}
