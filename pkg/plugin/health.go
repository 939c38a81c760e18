package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/decode"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// CheckHealth is Save & test: GET on the URL as configured (or its other
// form, with or without a trailing slash, when that one is the one
// served), then one POST /metrics (or /search on SimpleJSON servers) to
// prove the service speaks the contract. The message names the first
// problem found.
func (d *Datasource) CheckHealth(ctx context.Context, req *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	ctx = d.withIdentity(ctx, req.PluginContext, identity.ForwardedOfStrings(req.Headers), false)
	scrub := d.settings.ScrubFor(ctx)
	answered, err := d.pipeline.Health(ctx)
	if err != nil {
		return healthError(scrub, err), nil
	}
	metrics, err := d.pipeline.Metrics(ctx, contract.MetricsRequest{})
	var unnamed *decode.UnnamedMetricsError
	if err != nil && !errors.As(err, &unnamed) {
		return healthError(scrub, err), nil
	}
	msg := fmt.Sprintf("Data source is working: %s answered and lists %d metrics", answered, len(metrics))
	if unnamed != nil {
		// The service answers the contract; SimpleJSON's Save & test
		// passes here too.
		msg = fmt.Sprintf("Data source is working: %s answered. Warning: %s lists only metrics without a name (%d), so the query editor has no metric to offer: type the target, or have the service name its metrics for an empty target", answered, unnamed.Endpoint, unnamed.Items)
	}
	if base := d.pipeline.BaseURL(); answered != base {
		msg += fmt.Sprintf(". The URL as written, %s, answered 404 Not Found; every call works either way, but you may save the URL as %s", base, answered)
	}
	if d.settings.TLSSkipVerify {
		msg += `. Warning: TLS certificate verification is off ("Skip TLS certificate validation"), so anyone on the network path can pose as the service and read the credentials; add the service's CA certificate instead`
	}
	msg += forwardingNote(d.settings, identity.From(ctx))
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: scrub(msg)}, nil
}

// forwardingNote says what Save & test proved about forwarding, and
// which credentials win when the data source has its own as well.
func forwardingNote(s *models.Settings, id identity.Identity) string {
	f := s.Forwarding
	if !f.OAuthPassThru {
		return ""
	}
	note := ". Forward OAuth identity is on"
	if id.Authorization == "" {
		note += ", but Grafana forwarded no OAuth token for you (sign in with OAuth to test it), so this test used the data source's own credentials"
	} else {
		note += ", and this test ran with your token"
	}
	if s.APIKey != "" || s.BasicAuth {
		note += "; with an API key or basic auth also set, " + models.WinnerNote()
	}
	return note
}

func healthError(scrub func(string) string, err error) *backend.CheckHealthResult {
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: scrub(err.Error())}
}
