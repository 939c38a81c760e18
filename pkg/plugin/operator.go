package plugin

import (
	"runtime/debug"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/pipeline"
)

// ApplyOperatorSettings applies what the Grafana operator set for the
// whole plugin process under [plugin.inhouse-metrics-datasource] (Grafana
// passes each as a GF_PLUGIN_* variable; pkg/models reads them): the
// bound on calls in flight, the ceiling on series, the floor on live
// polls and the soft memory limit. An invalid value is logged and left
// out, so a typo in grafana.ini never keeps the data source from starting.
func ApplyOperatorSettings(lg log.Logger) {
	warn := func(err error) {
		if err != nil {
			lg.Warn(err.Error())
		}
	}
	calls, err := models.MaxConcurrentCalls()
	warn(err)
	pipeline.SetMaxConcurrentCalls(calls)
	for _, err := range models.ApplyCeilings() {
		warn(err)
	}
	floor, err := models.LiveMinIntervalFloor()
	warn(err)
	models.SetLiveMinIntervalFloor(floor)
	limit, err := models.MemoryLimit()
	warn(err)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}
