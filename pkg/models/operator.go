package models

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// Operator is what the Grafana operator sets for the whole plugin
// process under [plugin.inhouse-metrics-datasource] in grafana.ini, which
// Grafana passes as GF_PLUGIN_* variables. main reads it once
// (ReadOperator) and passes it down; nothing else reads the environment.
type Operator struct {
	LogLevel log.Level
	// MaxConcurrentCalls bounds the calls the process has in flight to
	// in-house services (DefaultMaxConcurrentCalls when unset).
	MaxConcurrentCalls int
	// Ceilings are the operator's ceilings on settings.json's limits, by
	// name (max_series, ...), in the setting's unit; absent is none.
	Ceilings map[string]float64
	// LiveMinInterval is a floor on every data source's "Minimum live
	// interval"; 0 is none.
	LiveMinInterval time.Duration
	// MemoryLimit is the soft memory limit in bytes; 0 leaves Go's own.
	MemoryLimit int64
	// AllowedHosts are hosts every data source may be redirected to.
	AllowedHosts []string
}

// DefaultOperator is what an operator who sets nothing gets.
func DefaultOperator() Operator {
	return Operator{LogLevel: log.Info, MaxConcurrentCalls: DefaultMaxConcurrentCalls}
}

// ReadOperator reads every operator setting through getenv (os.Getenv in
// main). Each reader returns a usable value and, for an invalid one, an
// error to log: a typo in grafana.ini never keeps the plugin from
// starting.
func ReadOperator(getenv func(string) string) (Operator, []error) {
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var op Operator
	var err error
	op.LogLevel, err = LogLevel(getenv)
	keep(err)
	op.MaxConcurrentCalls, err = MaxConcurrentCalls(getenv)
	keep(err)
	op.LiveMinInterval, err = LiveMinIntervalFloor(getenv)
	keep(err)
	op.MemoryLimit, err = MemoryLimit(getenv)
	keep(err)
	op.AllowedHosts, _ = hostList(json.RawMessage(strconv.Quote(getenv(AllowedHostsEnv))))
	for _, r := range settingRules.Numbers {
		if r.Ceiling == "" {
			continue
		}
		n, err := Ceiling(getenv, r.Ceiling)
		keep(err)
		if n > 0 {
			if op.Ceilings == nil {
				op.Ceilings = map[string]float64{}
			}
			op.Ceilings[r.Ceiling] = n
		}
	}
	return op, errs
}

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
func LogLevel(getenv func(string) string) (log.Level, error) {
	v := strings.ToLower(strings.TrimSpace(getenv(LogLevelEnv)))
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
func MaxConcurrentCalls(getenv func(string) string) (int, error) {
	v := strings.TrimSpace(getenv(MaxConcurrentCallsEnv))
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

// Ceiling reads the operator's ceiling of that name: 0 when unset; an
// invalid value is ignored (0) with an error for the caller to log.
func Ceiling(getenv func(string) string, name string) (float64, error) {
	v := strings.TrimSpace(getenv(CeilingEnv(name)))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || !(n >= 1) || n != float64(int64(n)) {
		return 0, fmt.Errorf("%s %q in [plugin.inhouse-metrics-datasource] (%s) is not a whole number of 1 or more; each data source's own setting applies alone", name, v, CeilingEnv(name))
	}
	return n, nil
}

// LiveMinIntervalEnv is where Grafana passes the operator's
// [plugin.inhouse-metrics-datasource] live_min_interval setting, in
// seconds.
const LiveMinIntervalEnv = "GF_PLUGIN_LIVE_MIN_INTERVAL"

// LiveMinIntervalFloor reads LiveMinIntervalEnv: 0 when unset; an invalid
// value is ignored (0) with an error for the caller to log.
func LiveMinIntervalFloor(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(LiveMinIntervalEnv))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || f > 86400 {
		return 0, fmt.Errorf("live_min_interval %q in [plugin.inhouse-metrics-datasource] (%s) is not a number of seconds between 0 and 86400; each data source's \"Minimum live interval\" applies alone", v, LiveMinIntervalEnv)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// MemoryLimitEnv is where Grafana passes the operator's
// [plugin.inhouse-metrics-datasource] memory_limit_mb setting.
const MemoryLimitEnv = "GF_PLUGIN_MEMORY_LIMIT_MB"

// MemoryLimit reads MemoryLimitEnv as bytes for debug.SetMemoryLimit: 0
// when unset, so Go's own limit (GOMEMLIMIT, else none) stays. It is a
// soft limit: the garbage collector runs more often as the process nears
// it, trading CPU for a lower peak on large answers; memory the answers
// still hold is never refused. An invalid value is ignored (0) with an
// error for the caller to log.
func MemoryLimit(getenv func(string) string) (int64, error) {
	v := strings.TrimSpace(getenv(MemoryLimitEnv))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > 1<<40 {
		return 0, fmt.Errorf("memory_limit_mb %q in [plugin.inhouse-metrics-datasource] (%s) is not a whole number of megabytes of 1 or more; no memory limit set", v, MemoryLimitEnv)
	}
	return n << 20, nil
}
