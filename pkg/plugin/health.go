package plugin

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// CheckHealth is Save & test: GET on the URL as configured, then one
// POST /metrics (or /search on SimpleJSON servers) to prove the service
// speaks the contract. The message names the first problem found.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.settingsErr != nil {
		return healthError(d.settingsErr), nil
	}
	if err := d.client.Health(ctx); err != nil {
		return healthError(err), nil
	}
	metrics, err := d.client.Metrics(ctx, contract.MetricsRequest{})
	if err != nil {
		return healthError(err), nil
	}
	return &backend.CheckHealthResult{
		Status:  backend.HealthStatusOk,
		Message: fmt.Sprintf("Data source is working: %s answered and lists %d metrics", d.client.BaseURL(), len(metrics)),
	}, nil
}

func healthError(err error) *backend.CheckHealthResult {
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}
}
