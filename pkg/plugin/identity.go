package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
)

// withIdentity carries what Grafana sent of the signed-in user (its own
// forwarded headers, the plugin context's user, whether the request says
// it comes from an alert rule) to the client, which sends what the
// settings allow, to the pipeline, which keys the cache and shared calls
// on it, and to the scrubber, which must know the request's tokens to
// keep them out of every answer.
func (d *Datasource) withIdentity(ctx context.Context, pc backend.PluginContext, fwd identity.Forwarded, fromAlert bool) context.Context {
	return identity.With(ctx, d.settings.IdentityOf(fwd, pc.User, fromAlert))
}
