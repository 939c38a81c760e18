package plugin

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// CheckHealth is Save & test: GET on the URL as configured (or its other
// form, with or without a trailing slash, when that one is the one
// served), then one POST /metrics (or /search on SimpleJSON servers) to
// prove the service speaks the contract. The message names the first
// problem found.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	answered, err := d.client.Health(ctx)
	if err != nil {
		return healthError(err), nil
	}
	metrics, err := d.client.Metrics(ctx, contract.MetricsRequest{})
	if err != nil {
		return healthError(err), nil
	}
	msg := fmt.Sprintf("Data source is working: %s answered and lists %d metrics", answered, len(metrics))
	if base := d.client.BaseURL(); answered != base {
		msg += fmt.Sprintf(". The URL as written, %s, answered 404 Not Found; every call works either way, but you may save the URL as %s", base, answered)
	}
	if d.settings.TLSSkipVerify {
		msg += `. Warning: TLS certificate verification is off ("Skip TLS certificate validation"), so anyone on the network path can pose as the service and read the credentials; add the service's CA certificate instead`
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: msg}, nil
}

func healthError(err error) *backend.CheckHealthResult {
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}
}
