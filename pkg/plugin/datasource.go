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
}

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// NewInstance is the instance factory: Grafana's settings are validated
// here, so a bad URL or timeout is reported before any query runs.
//
// Its errors carry no error source on purpose: for an error with a source
// the SDK answers only the request's first query, leaving the others
// blank, while a plain error fails the whole request with the message, so
// every panel shows what to fix. Save & test shows it either way.
func NewInstance(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	settings, err := models.LoadSettings(s)
	if err != nil {
		return nil, fmt.Errorf("invalid data source settings: %w", err)
	}
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("invalid data source settings: the HTTP settings are invalid: %s", settings.Scrub(err.Error()))
	}
	c, err := client.New(settings, opts)
	if err != nil {
		return nil, fmt.Errorf("invalid data source settings: %w", err)
	}
	return New(settings, c), nil
}

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
func (d *Datasource) Dispose() { d.client.Close() }

// QueryData routes each query by its type.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return d.mux.QueryData(ctx, req)
}

// errorResponse gives each error its source and status: faults of the
// service are downstream errors with the matching status, and so are
// invalid queries (the user's input, not our bug); anything else is ours.
func errorResponse(err error) backend.DataResponse {
	var ce *client.Error
	var qe *queryError
	switch {
	case errors.As(err, &ce):
		return backend.DataResponse{Error: err, Status: ce.Status(), ErrorSource: backend.ErrorSourceDownstream}
	case errors.As(err, &qe):
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
