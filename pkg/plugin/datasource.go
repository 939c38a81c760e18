// Package plugin is the glue between Grafana's plugin SDK and the
// in-house metrics service: instance lifecycle, query routing, health
// checks and resource routes. Handlers stay thin; the work is in models
// (validation), pipeline (the /query round trip), client (the wire) and
// frames (conversion).
package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/client"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/pipeline"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/telemetry"
)

// PluginID is the id in plugin.json.
const PluginID = "inhouse-metrics-datasource"

// Datasource is one instance of the data source: one version of its
// settings, with its own HTTP client, connection pool and cache.
type Datasource struct {
	settings *models.Settings
	client   *client.Client
	pipeline *pipeline.Pipeline
	mux      *datasource.QueryTypeMux
	// streams are this instance's running live streams (stream.go).
	streams *live.Running
	metrics *telemetry.Metrics
}

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// NewInstance is the instance factory. Grafana's settings are validated
// here; settings that do not validate make an invalidInstance, which
// answers every call with what to fix.
//
// Failing the factory instead would hide the message in Grafana: it
// turns a plugin error into a public "An error occurred within the plugin"
// (queries) or a bare 500 (resources), and for an error with a source the
// SDK answers only the request's first query.
func NewInstance(ctx context.Context, s backend.DataSourceInstanceSettings, metrics *telemetry.Metrics) (instancemgmt.Instance, error) {
	settings, err := models.LoadSettings(s)
	if err != nil {
		return newInvalidInstance(err), nil
	}
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		return newInvalidInstance(fmt.Errorf("the HTTP settings are invalid: %s", settings.Scrub(err.Error()))), nil
	}
	// The SDK's middlewares, with its tracing one replaced by the plugin's,
	// which also counts, times and logs each call (pkg/telemetry).
	opts.Middlewares = metrics.Middlewares(func(ctx context.Context, text string) string { return settings.ScrubFor(ctx)(text) })
	c, err := client.New(settings, opts)
	if err != nil {
		return newInvalidInstance(err), nil
	}
	return New(settings, c, metrics), nil
}

// New wires a data source around a client.
func New(settings *models.Settings, c *client.Client, metrics *telemetry.Metrics) *Datasource {
	d := &Datasource{settings: settings, client: c, pipeline: pipeline.New(settings, c, metrics), mux: datasource.NewQueryTypeMux(),
		streams: live.NewRunning(), metrics: metrics}
	d.mux.HandleFunc(models.QueryTypeMetrics, d.queryMetrics)
	d.mux.HandleFunc(models.QueryTypeVariable, d.queryVariable)
	d.mux.HandleFunc(models.QueryTypeAnnotations, d.queryAnnotations)
	d.mux.HandleFunc("", unknownQueryType)
	return d
}

// Dispose closes the old instance's idle connections when settings change.
func (d *Datasource) Dispose() { d.client.Close() }

// QueryData routes each query by its type. Queries saved without a type
// (every dashboard made before types existed, and the JSON datasource's)
// are metric queries: they join the same batch, under the same
// concurrency limit, instead of a second one the mux would run after it.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	for i, q := range req.Queries {
		if q.QueryType != "" {
			continue
		}
		typed := *req
		typed.Queries = append([]backend.DataQuery(nil), req.Queries...)
		for j := i; j < len(typed.Queries); j++ {
			if typed.Queries[j].QueryType == "" {
				typed.Queries[j].QueryType = models.QueryTypeMetrics
			}
		}
		req = &typed
		break
	}
	return d.mux.QueryData(ctx, req)
}

// unknownQueryType answers queries of a type this version does not serve:
// a dashboard saved by a newer version, or edited by hand.
func unknownQueryType(_ context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	res := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		res.Responses[q.RefID] = errorResponse(&queryError{fmt.Errorf("query type %q is not supported: this data source runs %q, %q and %q queries; open the query in the query editor and save it again",
			q.QueryType, models.QueryTypeMetrics, models.QueryTypeVariable, models.QueryTypeAnnotations)})
	}
	return res, nil
}

// errorResponse gives each error its source and status: faults of the
// service are downstream errors with the matching status, and so are
// invalid queries and settings (the user's input, not our bug); anything
// else is ours.
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
