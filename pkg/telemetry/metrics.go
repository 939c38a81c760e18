// Package telemetry is what the plugin tells its operator about itself:
// Prometheus metrics, served by the SDK's CollectMetrics, trace spans and
// log lines for the calls to the in-house service. It holds the metric
// definitions and the one HTTP middleware that observes every upstream
// call; the packages that own a cache, shared calls or streams count on
// the Metrics they are handed.
package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every metric of the plugin.
const Namespace = "inhouse_metrics"

// Metrics are the plugin's own Prometheus metrics. main creates them once
// on the registry the SDK's CollectMetrics gathers and passes them down to
// every instance: a registry accepts each name once, and instances come
// and go with settings changes, so the metrics belong to the process, not
// to an instance. Passing them (rather than a package variable) keeps
// tests free to use a registry of their own. A nil *Metrics counts
// nothing, for code and tests that have none.
type Metrics struct {
	duration  *prometheus.HistogramVec
	bytes     *prometheus.CounterVec
	cache     *prometheus.CounterVec
	coalesced prometheus.Counter
	streams   prometheus.Gauge
}

// Label values are bounded: the endpoint is one of the contract's paths
// (endpointOf), the status a class, never a URL, a user or a query.
const (
	labelEndpoint = "endpoint"
	labelStatus   = "status"
	labelResult   = "result"
)

// New creates the metrics and registers them on reg
// (prometheus.DefaultRegisterer in the plugin, which is what the SDK's
// CollectMetrics gathers).
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "upstream_request_duration_seconds",
			Help:    "Time of one attempt of a call to the in-house service, from sending the request until its answer's body is closed, by contract endpoint and status class (2xx, 3xx, 4xx, 5xx, error).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{labelEndpoint, labelStatus}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "upstream_response_bytes_total",
			Help: "Bytes of the in-house service's answer bodies the plugin read, by contract endpoint.",
		}, []string{labelEndpoint}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cache_requests_total",
			Help: "Answer cache lookups by result (hit, miss); only calls the cache may answer are counted.",
		}, []string{labelResult}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "coalesced_calls_total",
			Help: "Calls that joined an identical call already in flight instead of calling the service.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "live_streams_active",
			Help: "Live streams this plugin process is running (one per channel, whatever its number of viewers).",
		}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.bytes, m.cache, m.coalesced, m.streams} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Every series exists from the start, at zero: a scrape before the
	// first call shows what will be counted, and rate() has a start.
	for _, r := range []string{"hit", "miss"} {
		m.cache.WithLabelValues(r)
	}
	return m, nil
}

// CacheLookup counts one lookup in the answer cache.
func (m *Metrics) CacheLookup(hit bool) {
	if m == nil {
		return
	}
	r := "miss"
	if hit {
		r = "hit"
	}
	m.cache.WithLabelValues(r).Inc()
}

// Coalesced counts a call that joined one already in flight.
func (m *Metrics) Coalesced() {
	if m != nil {
		m.coalesced.Inc()
	}
}

// StreamStarted counts a running live stream; call the function it
// returns when the stream ends.
func (m *Metrics) StreamStarted() (ended func()) {
	if m == nil {
		return func() {}
	}
	m.streams.Inc()
	return m.streams.Dec
}
