package refserver

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// The built-in data set: a few services in a few regions.
var (
	services = []string{"checkout", "search", "payments"}
	regions  = []string{"eu-west", "us-east"}
)

type metric struct {
	name, label string
	base, swing float64 // typical value and relative daily swing
	table       bool
}

// TableMetric is the metric that answers with a table.
const TableMetric = "deployments"

var catalog = []metric{
	{name: "requests_per_second", label: "Request rate (req/s)", base: 250, swing: 0.4},
	{name: "latency_p99_ms", label: "Latency p99 (ms)", base: 180, swing: 0.25},
	{name: "error_ratio", label: "Error ratio", base: 0.01, swing: 0.8},
	{name: "cpu_usage", label: "CPU usage (cores)", base: 3.5, swing: 0.35},
	{name: TableMetric, label: "Deployments (table)", table: true},
}

func lookup(name string) *metric {
	for i := range catalog {
		if catalog[i].name == name {
			return &catalog[i]
		}
	}
	return nil
}

func (m *metric) payloads() []contract.PayloadDef {
	return []contract.PayloadDef{
		{Label: "Service", Name: "service", Type: contract.PayloadMultiSelect, Placeholder: "all services", Options: options(services)},
		{Label: "Region", Name: "region", Type: contract.PayloadSelect, Placeholder: "all regions", Options: options(regions)},
	}
}

// tagValues lists the values of a tag (and of the payload field of the
// same name).
func tagValues(key string) []string {
	switch key {
	case "service":
		return services
	case "region":
		return regions
	}
	return []string{}
}

// tagValuesWhere lists the values of key that some series under the ad
// hoc filters has: with service != checkout, the services left; with a
// filter no series passes, none. Every series has data in every range, so
// the range a caller sends narrows nothing here.
func tagValuesWhere(key string, filters []contract.Filter) []string {
	out := []string{}
	for _, v := range tagValues(key) {
		for _, k := range allSeries() {
			if tags := k.tags(); tags[key] == v && matches(filters, tags) {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

func allSeries() []seriesKey {
	out := make([]seriesKey, 0, len(services)*len(regions))
	for _, svc := range services {
		for _, reg := range regions {
			out = append(out, seriesKey{svc, reg})
		}
	}
	return out
}

type seriesKey struct{ service, region string }

func (k seriesKey) tags() map[string]string {
	return map[string]string{"service": k.service, "region": k.region}
}

// series lists the series a payload and ad hoc filters select.
func (m *metric) series(payload map[string]any, filters []contract.Filter) []seriesKey {
	var out []seriesKey
	for _, k := range allSeries() {
		if selected(payload["service"], k.service) && selected(payload["region"], k.region) && matches(filters, k.tags()) {
			out = append(out, k)
		}
	}
	return out
}

// selected tells whether a payload value (absent, a string or a list of
// strings) lets v through.
func selected(p any, v string) bool {
	switch x := p.(type) {
	case nil:
		return true
	case string:
		return x == "" || x == v || x == "*" || x == "$__all"
	case []any:
		if len(x) == 0 {
			return true
		}
		for _, e := range x {
			if s, ok := e.(string); ok && (s == v || s == "$__all") {
				return true
			}
		}
		return false
	}
	return true
}

// value is a deterministic function of the series and the time: a daily
// wave with a per-series phase, plus small hash-based jitter.
// It returns the generator of one series, so the per-series work is done
// once and not per point.
func (m *metric) value(k seriesKey) func(ts int64) float64 {
	seed := hash(m.name, k.service, k.region)
	phase := float64(seed%1000) / 1000 * 2 * math.Pi
	scale := 0.6 + float64(seed%7)/10
	return func(ts int64) float64 {
		day := float64(ts%86_400_000) / 86_400_000 * 2 * math.Pi
		jitter := float64(mix(seed^uint64(ts))%1000)/1000 - 0.5
		v := m.base * scale * (1 + m.swing*math.Sin(day+phase) + 0.05*jitter)
		return math.Round(v*1000) / 1000
	}
}

// mix is splitmix64's finaliser: cheap per-point noise, so the server can
// write a million points quickly.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func hash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}

type deployment struct {
	at                       int64
	service, region, version string
	healthy                  bool
}

// deployments happen every six hours per service, staggered by region.
func deployments(from, to int64) []deployment {
	const every = 6 * 3_600_000
	var out []deployment
	for si, svc := range services {
		for ri, reg := range regions {
			offset := int64(si*47+ri*13) * 60_000
			start := from - from%every + offset
			for at := start; at <= to; at += every {
				if at < from {
					continue
				}
				n := at / every
				out = append(out, deployment{at: at, service: svc, region: reg,
					version: fmt.Sprintf("v1.%d.%d", n%50, (n+int64(si))%10), healthy: (n+int64(ri))%5 != 0})
			}
		}
	}
	return out
}

func deploymentsTable(from, to int64, payload map[string]any, filters []contract.Filter) contract.Table {
	t := contract.Table{
		Type: "table",
		Columns: []contract.TableColumn{
			{Text: "Time", Type: contract.ColumnTime},
			{Text: "service", Type: contract.ColumnString},
			{Text: "region", Type: contract.ColumnString},
			{Text: "version", Type: contract.ColumnString},
			{Text: "healthy", Type: contract.ColumnBoolean},
		},
		Rows: [][]any{},
	}
	ds := deployments(from, to)
	slices.SortFunc(ds, func(a, b deployment) int { return int(a.at - b.at) })
	for _, d := range ds {
		k := seriesKey{d.service, d.region}
		if !selected(payload["service"], d.service) || !selected(payload["region"], d.region) || !matches(filters, k.tags()) {
			continue
		}
		t.Rows = append(t.Rows, []any{d.at, d.service, d.region, d.version, d.healthy})
	}
	return t
}
