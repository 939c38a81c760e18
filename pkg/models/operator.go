package models

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// The operator's settings: what the Grafana operator sets for the whole
// plugin process under [plugin.inhouse-metrics-datasource] in grafana.ini,
// which Grafana passes as GF_PLUGIN_* variables. Each reader here returns
// a usable value and, for an invalid one, an error to log; the plugin
// package applies them at start-up.

// LogLevelEnv is where Grafana passes the operator's
// [plugin.inhouse-metrics-datasource] log_level setting.
//
// The SDK's logger writes debug lines by default, and Grafana drops them
// only after they have been formatted and sent over the plugin's stderr:
// under many panels that is about a quarter of the plugin's CPU. So the
// plugin filters at the source, at info unless the operator asks for more.
const LogLevelEnv = "GF_PLUGIN_LOG_LEVEL"

// LogLevel reads LogLevelEnv. An unknown value falls back to info with an
// error that says what is accepted, for the caller to log: a typo in
// grafana.ini must not stop the plugin from starting.
func LogLevel() (log.Level, error) {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(LogLevelEnv)))
	switch v {
	case "", "info":
		return log.Info, nil
	case "debug", "trace":
		return log.Debug, nil
	case "warn", "warning":
		return log.Warn, nil
	case "error":
		return log.Error, nil
	}
	return log.Info, fmt.Errorf("log_level %q in [plugin.inhouse-metrics-datasource] (%s) is not one of debug, info, warn, error; logging at info", v, LogLevelEnv)
}

// MaxConcurrentCallsEnv is where Grafana passes the operator's
// [plugin.inhouse-metrics-datasource] max_concurrent_calls setting.
const MaxConcurrentCallsEnv = "GF_PLUGIN_MAX_CONCURRENT_CALLS"

// DefaultMaxConcurrentCalls bounds the calls the whole plugin process has
// in flight to in-house services, across data sources and requests:
// "Concurrency" bounds one request only, and each call may hold up to
// "Maximum response size" of answer while it is decoded.
const DefaultMaxConcurrentCalls = 32

// MaxConcurrentCalls reads MaxConcurrentCallsEnv; an invalid value falls
// back to the default with an error for the caller to log.
func MaxConcurrentCalls() (int, error) {
	v := strings.TrimSpace(os.Getenv(MaxConcurrentCallsEnv))
	if v == "" {
		return DefaultMaxConcurrentCalls, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return DefaultMaxConcurrentCalls, fmt.Errorf("max_concurrent_calls %q in [plugin.inhouse-metrics-datasource] (%s) is not a whole number of 1 or more; using %d", v, MaxConcurrentCallsEnv, DefaultMaxConcurrentCalls)
	}
	return n, nil
}

// The answer limits of settings.json (maxSeries, maxPoints, maxCells,
// maxListItems, maxItemKB, maxEventTags) each have an operator's ceiling:
// [plugin.inhouse-metrics-datasource] max_series and so on, which Grafana
// passes as GF_PLUGIN_MAX_SERIES and so on. A ceiling, not a default: a
// data source may set a lower limit, never a higher one, since the
// operator answers for the memory of the Grafana server that every data
// source shares.

// MaxSeriesEnv is where Grafana passes the operator's max_series.
const MaxSeriesEnv = "GF_PLUGIN_MAX_SERIES"

// CeilingEnv is the variable that carries the operator's ceiling of that
// name (as settings.json's "ceiling" gives it).
func CeilingEnv(name string) string { return "GF_PLUGIN_" + strings.ToUpper(name) }

// ceilings holds the operator's ceilings by name (float64, in the
// setting's unit); absent is none.
var ceilings sync.Map

func ceilingOf(name string) float64 {
	if name == "" {
		return 0
	}
	v, _ := ceilings.Load(name)
	f, _ := v.(float64)
	return f
}

// Ceiling reads the operator's ceiling of that name: 0 when unset; an
// invalid value is ignored (0) with an error for the caller to log.
func Ceiling(name string) (float64, error) {
	v := strings.TrimSpace(os.Getenv(CeilingEnv(name)))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || !(n >= 1) || n != float64(int64(n)) {
		return 0, fmt.Errorf("%s %q in [plugin.inhouse-metrics-datasource] (%s) is not a whole number of 1 or more; each data source's own setting applies alone", name, v, CeilingEnv(name))
	}
	return n, nil
}

// SetCeiling sets the operator's ceiling of that name for settings
// loaded from now on; 0 removes it.
func SetCeiling(name string, n float64) {
	if n <= 0 {
		ceilings.Delete(name)
		return
	}
	ceilings.Store(name, n)
}

// ApplyCeilings reads and sets every ceiling settings.json names, and
// returns the errors of invalid ones, for the caller to log.
func ApplyCeilings() []error {
	var errs []error
	for _, r := range settingRules.Numbers {
		if r.Ceiling == "" {
			continue
		}
		n, err := Ceiling(r.Ceiling)
		if err != nil {
			errs = append(errs, err)
		}
		SetCeiling(r.Ceiling, n)
	}
	return errs
}

// MaxSeriesCeiling reads MaxSeriesEnv: 0 when unset; an invalid value is
// ignored (0) with an error for the caller to log.
func MaxSeriesCeiling() (int, error) {
	n, err := Ceiling("max_series")
	return int(n), err
}

// SetMaxSeriesCeiling sets the operator's max_series; 0 removes it.
func SetMaxSeriesCeiling(n int) { SetCeiling("max_series", float64(n)) }

// LiveMinIntervalEnv is where Grafana passes the operator's
// [plugin.inhouse-metrics-datasource] live_min_interval setting, in
// seconds.
const LiveMinIntervalEnv = "GF_PLUGIN_LIVE_MIN_INTERVAL"

// liveFloor is the operator's live_min_interval (a time.Duration), 0 when
// unset. It is a floor: every live stream polls the in-house services at
// most this often, whatever a data source's "Minimum live interval" says,
// since one Grafana server's streams all poll from this process.
var liveFloor atomic.Int64

// LiveMinIntervalFloor reads LiveMinIntervalEnv: 0 when unset; an invalid
// value is ignored (0) with an error for the caller to log.
func LiveMinIntervalFloor() (time.Duration, error) {
	v := strings.TrimSpace(os.Getenv(LiveMinIntervalEnv))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || f > 86400 {
		return 0, fmt.Errorf("live_min_interval %q in [plugin.inhouse-metrics-datasource] (%s) is not a number of seconds between 0 and 86400; each data source's \"Minimum live interval\" applies alone", v, LiveMinIntervalEnv)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// SetLiveMinIntervalFloor sets the operator's floor for settings loaded
// from now on; main sets it from LiveMinIntervalFloor, 0 removes it.
func SetLiveMinIntervalFloor(d time.Duration) { liveFloor.Store(int64(d)) }

// MemoryLimitEnv is where Grafana passes the operator's
// [plugin.inhouse-metrics-datasource] memory_limit_mb setting.
const MemoryLimitEnv = "GF_PLUGIN_MEMORY_LIMIT_MB"

// MemoryLimit reads MemoryLimitEnv as bytes for debug.SetMemoryLimit: 0
// when unset, so Go's own limit (GOMEMLIMIT, else none) stays. It is a
// soft limit: the garbage collector runs more often as the process nears
// it, trading CPU for a lower peak on large answers; memory the answers
// still hold is never refused. An invalid value is ignored (0) with an
// error for the caller to log.
func MemoryLimit() (int64, error) {
	v := strings.TrimSpace(os.Getenv(MemoryLimitEnv))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > 1<<40 {
		return 0, fmt.Errorf("memory_limit_mb %q in [plugin.inhouse-metrics-datasource] (%s) is not a whole number of megabytes of 1 or more; no memory limit set", v, MemoryLimitEnv)
	}
	return n << 20, nil
}
