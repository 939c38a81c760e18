// Package plugin is the glue between Grafana's plugin SDK and the
// in-house metrics client: instance lifecycle, query routing, health
// checks and resource routes. Handlers stay thin; the work is in models
// (validation), client (the wire) and frames (conversion).
package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"golang.org/x/sync/singleflight"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/cache"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/frames"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// PluginID is the id in plugin.json.
const PluginID = "inhouse-metrics-datasource"

// Query types routed by the QueryTypeMux. Queries saved without a type
// (every dashboard made before types existed) are metric queries.
const (
	QueryTypeMetrics = "metrics"
)

// Datasource is one instance of the data source: one version of its
// settings, with its own HTTP client and connection pool.
type Datasource struct {
	settings *models.Settings
	client   *client.Client
	mux      *datasource.QueryTypeMux
	inflight singleflight.Group
	cache    *cache.Cache[*frames.Answer] // nil when the cache is off
	// settingsErr is set, and nothing else, when the settings are invalid.
	settingsErr error
}

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// NewInstance is the instance factory. Grafana's settings are validated
// here; settings that do not validate still make an instance, one that
// answers every call with what to fix (see invalidSettings).
//
// Failing the factory instead would hide the message in Grafana: it
// turns a plugin error into a public "An error occurred within the plugin"
// (queries) or a bare 500 (resources), and for an error with a source the
// SDK answers only the request's first query.
func NewInstance(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	settings, err := models.LoadSettings(s)
	if err != nil {
		return invalidSettings(err), nil
	}
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		return invalidSettings(fmt.Errorf("the HTTP settings are invalid: %s", settings.Scrub(err.Error()))), nil
	}
	c, err := client.New(settings, opts)
	if err != nil {
		return invalidSettings(err), nil
	}
	return New(settings, c), nil
}

// invalidSettings is an instance whose settings did not validate: every
// query, health check and resource call gets the reason.
func invalidSettings(err error) *Datasource {
	return &Datasource{settingsErr: &settingsError{err}}
}

// settingsError is a data source configuration that cannot work: the
// user's input, so a downstream error with status 400, never ours.
type settingsError struct{ err error }

func (e *settingsError) Error() string { return "invalid data source settings: " + e.err.Error() }
func (e *settingsError) Unwrap() error { return e.err }

// New wires a data source around a client.
func New(settings *models.Settings, c *client.Client) *Datasource {
	d := &Datasource{settings: settings, client: c, mux: datasource.NewQueryTypeMux()}
	if settings.CacheTTL > 0 {
		d.cache = cache.New[*frames.Answer](settings.CacheTTL, settings.CacheMaxBytes)
	}
	d.mux.HandleFunc("", d.queryMetrics)
	d.mux.HandleFunc(QueryTypeMetrics, d.queryMetrics)
	return d
}

// Dispose closes the old instance's idle connections when settings change.
func (d *Datasource) Dispose() {
	if d.client != nil {
		d.client.Close()
	}
}

// QueryData routes each query by its type.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	if d.settingsErr != nil {
		res := backend.NewQueryDataResponse()
		for _, q := range req.Queries {
			res.Responses[q.RefID] = errorResponse(d.settingsErr)
		}
		return res, nil
	}
	return d.mux.QueryData(ctx, req)
}

// errorResponse gives each error its source and status: faults of the
// service are downstream errors with the matching status, and so are
// invalid queries (the user's input, not our bug); anything else is ours.
func errorResponse(err error) backend.DataResponse {
	var ce *client.Error
	var qe *queryError
	var se *settingsError
	switch {
	case errors.As(err, &ce):
		return backend.DataResponse{Error: err, Status: ce.Status(), ErrorSource: backend.ErrorSourceDownstream}
	case errors.As(err, &qe), errors.As(err, &se):
		return backend.DataResponse{Error: err, Status: backend.StatusBadRequest, ErrorSource: backend.ErrorSourceDownstream}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return backend.DataResponse{Error: err, Status: backend.StatusTimeout, ErrorSource: backend.ErrorSourceDownstream}
	}
	return backend.DataResponse{Error: err, Status: backend.StatusInternal, ErrorSource: backend.ErrorSourcePlugin}
}

// queryError is a query that failed validation.
type queryError struct{ err error }

func (e *queryError) Error() string { return e.err.Error() }
func (e *queryError) Unwrap() error { return e.err }
