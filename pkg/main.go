// Command gpx_inhouse_metrics is the backend of the In-house Metrics data
// source; Grafana starts it and talks to it over the plugin protocol.
package main

import (
	"os"
	"runtime/debug"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/plugin"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/telemetry"
)

func main() {
	// What the operator set under [plugin.inhouse-metrics-datasource],
	// read once here and passed down. An invalid value is logged and left
	// out, so a typo in grafana.ini never keeps the data source from
	// starting.
	op, opErrs := models.ReadOperator(os.Getenv)
	// The SDK keeps two logger variables, both set at init; its middleware
	// and instance manager read backend.Logger when Manage starts.
	lg := log.NewWithLevel(op.LogLevel)
	log.DefaultLogger, backend.Logger = lg, lg
	for _, err := range opErrs {
		lg.Warn(err.Error())
	}
	if op.MemoryLimit > 0 {
		debug.SetMemoryLimit(op.MemoryLimit)
	}
	// The SDK's CollectMetrics gathers the default registry.
	metrics, err := telemetry.New(prometheus.DefaultRegisterer)
	if err != nil {
		lg.Error("registering the plugin's metrics: " + err.Error())
		os.Exit(1)
	}
	if err := datasource.Manage(plugin.PluginID, plugin.NewProcess(op, metrics).NewManagedInstance, datasource.ManageOpts{}); err != nil {
		lg.Error(err.Error())
		os.Exit(1)
	}
}
