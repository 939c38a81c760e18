package frames

import (
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// The wide layout exists for what Grafana pays after the plugin: with one
// frame per series, every series' timestamps are encoded (by the plugin,
// then by Grafana for the browser) once per series, although services
// that sample on a fixed interval send the same timestamps for all of
// them. A wide frame sends them once.

var wideVersion = data.FrameTypeVersion{0, 1}

// WideFrame is the one builder of a timeseries-wide frame, for queries
// (wideFrame) and live channels alike: the time field, then one value
// field per series, as the data plane contract reads them. The callers
// name the value fields: a live channel by series key, which Grafana's
// streaming merge needs unique, a query by series name, as its multi
// frames are.
func WideFrame(name string, timeField *data.Field, values []*data.Field, notices []data.Notice) *data.Frame {
	fields := make([]*data.Field, 0, len(values)+1)
	fields = append(fields, timeField)
	fields = append(fields, values...)
	return data.NewFrame(name, fields...).SetMeta(&data.FrameMeta{
		Type:        data.FrameTypeTimeSeriesWide,
		TypeVersion: wideVersion,
		Notices:     notices,
	})
}

// timesDiffer says why series cannot share one time field, "" when they
// can: every series has the same timestamps, in the same order.
func timesDiffer(series []*Series) string {
	first := series[0]
	n := first.Time.Len()
	for _, s := range series[1:] {
		if m := s.Time.Len(); m != n {
			return fmt.Sprintf("series %s has %s points and series %s has %s", seriesName(first), contract.Thousands(n), seriesName(s), contract.Thousands(m))
		}
		if s.Time == first.Time {
			continue // the decoder gave series with the same times one field
		}
		for i := range n {
			a, b := first.Time.PointerAt(i).(*time.Time), s.Time.PointerAt(i).(*time.Time)
			if !a.Equal(*b) {
				return fmt.Sprintf("series %s and series %s differ at point %d (%s and %s)", seriesName(first), seriesName(s), i+1,
					a.UTC().Format(time.RFC3339Nano), b.UTC().Format(time.RFC3339Nano))
			}
		}
	}
	return ""
}

// seriesName names a series in a notice the way a legend without a
// template would: name and labels.
func seriesName(s *Series) string {
	if len(s.Labels) == 0 {
		return fmt.Sprintf("%q", s.Name)
	}
	return fmt.Sprintf("%q {%s}", s.Name, s.Labels.String())
}

// wideFrame puts series that share their timestamps in one
// timeseries-wide frame: the first series' time field, then each series'
// value field with the name, labels and legend its multi frame would
// have. Like Series.Frame it copies the Field structs, never the points,
// and never changes the series.
func wideFrame(series []*Series, alias string) *data.Frame {
	timeField := *series[0].Time
	values := make([]*data.Field, 0, len(series))
	name := series[0].Name
	for _, s := range series {
		values = append(values, s.valueField(alias))
		if s.Name != name {
			name = ""
		}
	}
	// The frame is named after the series when they share one name, as
	// each multi frame is; Grafana's legend then reads the same in both
	// layouts (value field name and labels).
	return WideFrame(name, &timeField, values, nil)
}

// fallbackNotice tells why an answer asked for as wide went out as multi.
func fallbackNotice(reason string, downsampled bool) string {
	why := reason
	if downsampled {
		why += "; downsampling keeps each series' own extremes, so downsampled series rarely share timestamps"
	}
	return "sent as one frame per series (timeseries-multi), not one wide frame: the series' timestamps differ (" + why + ")"
}
