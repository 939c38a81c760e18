package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

// withIdentity carries what Grafana sent of the signed-in user (the
// forwarded headers, the plugin context's user) to the client, which
// lets through what the settings allow, to the pipeline, which keys the
// cache and shared calls on it, and to the scrubber, which must know the
// request's tokens to keep them out of every answer.
func (d *Datasource) withIdentity(ctx context.Context, pc backend.PluginContext, req backend.ForwardHTTPHeaders, alert bool) context.Context {
	return models.WithIdentity(ctx, d.settings.IdentityOf(req.GetHTTPHeaders(), pc.User, alert))
}
