// Command gpx_inhouse_metrics is the backend of the In-house Metrics data
// source; Grafana starts it and talks to it over the plugin protocol.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/plugin"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/telemetry"
)

func main() {
	level, levelErr := models.LogLevel()
	// The SDK keeps two logger variables, both set at init; its middleware
	// and instance manager read backend.Logger when Manage starts.
	lg := log.NewWithLevel(level)
	log.DefaultLogger, backend.Logger = lg, lg
	if levelErr != nil {
		lg.Warn(levelErr.Error())
	}
	plugin.ApplyOperatorSettings(lg)
	// The SDK's CollectMetrics gathers the default registry.
	metrics, err := telemetry.New(prometheus.DefaultRegisterer)
	if err != nil {
		lg.Error("registering the plugin's metrics: " + err.Error())
		os.Exit(1)
	}
	if err := datasource.Manage(plugin.PluginID, plugin.NewManagedInstance(metrics), datasource.ManageOpts{}); err != nil {
		lg.Error(err.Error())
		os.Exit(1)
	}
}
