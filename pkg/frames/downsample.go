package frames

import (
	"fmt"
	"math"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Downsampling is min/max per time bucket: the series' time span is cut
// into maxPoints/2 equal buckets, and each keeps its lowest and highest
// value, in the order they came. A spike is exactly what a panel must not
// lose, and the extremes keep every one at its true height: the drawn line
// reaches every value the full series reaches. It costs one pass and no
// floating-point area sums. LTTB draws a prettier line from the same
// budget, but it picks one point per bucket by triangle area, which can
// drop a spike's peak for a neighbour; an alert threshold drawn on the
// panel would then disagree with the data.
//
// Buckets are in time, not in points, so that an uneven series (a gap, a
// burst) is reduced as a panel of maxDataPoints pixels would draw it.

// downsampleNote says what downsampling did to one query's series.
type downsampleNote struct {
	series, in, out int
}

func (n downsampleNote) String() string {
	return fmt.Sprintf("downsampled from %s to %s points: the lowest and highest value of each interval of %d series were kept (the data source's \"Downsample\" setting)", contract.Thousands(n.in), contract.Thousands(n.out), n.series)
}

// downsampleAll reduces each series longer than maxPoints. The answer's
// series are shared (coalesced callers, the cache), so the reduced ones
// are new series and the slice is a new slice.
func downsampleAll(series []*Series, maxPoints int) ([]*Series, downsampleNote) {
	var note downsampleNote
	out := make([]*Series, len(series))
	for i, s := range series {
		out[i] = s.downsample(maxPoints)
		if out[i] != s {
			note.series++
			note.in += s.Time.Len()
			note.out += out[i].Time.Len()
		}
	}
	return out, note
}

// downsample returns s reduced to at most maxPoints points, or s itself
// when it is short enough (or maxPoints leaves no room for a bucket's
// pair). s is never changed.
func (s *Series) downsample(maxPoints int) *Series {
	n := s.Time.Len()
	buckets := maxPoints / 2
	if n <= maxPoints || buckets < 1 {
		return s
	}
	nullable := s.Value.Type().Nullable()
	at := func(i int) (v float64, ok bool) {
		if nullable {
			p := *(s.Value.PointerAt(i).(**float64))
			if p == nil {
				return 0, false
			}
			return *p, true
		}
		return *(s.Value.PointerAt(i).(*float64)), true
	}
	nanos := func(i int) int64 { return s.Time.PointerAt(i).(*time.Time).UnixNano() }

	t0 := nanos(0)
	span := float64(nanos(n-1) - t0)
	keep := make([]int, 0, 2*buckets)
	// Per bucket: the indices of its extremes among real values, and of
	// its first NaN and first null, which stand for it only when it has
	// no real value, so a gap stays a gap and a NaN stays visible.
	minI, maxI, nanI, nullI := -1, -1, -1, -1
	flush := func() {
		switch {
		case minI >= 0:
			keep = append(keep, min(minI, maxI))
			if minI != maxI {
				keep = append(keep, max(minI, maxI))
			}
		case nanI >= 0:
			keep = append(keep, nanI)
		case nullI >= 0:
			keep = append(keep, nullI)
		}
		minI, maxI, nanI, nullI = -1, -1, -1, -1
	}
	var minV, maxV float64
	current := 0
	for i := range n {
		b := 0
		if span > 0 {
			// In float64: nanoseconds times buckets overflows int64 for a
			// span of a few months.
			b = min(int(float64(nanos(i)-t0)*float64(buckets)/span), buckets-1)
		}
		if b != current {
			flush()
			current = b
		}
		v, ok := at(i)
		switch {
		case !ok:
			if nullI < 0 {
				nullI = i
			}
		case math.IsNaN(v):
			if nanI < 0 {
				nanI = i
			}
		case minI < 0:
			minI, maxI, minV, maxV = i, i, v, v
		case v < minV:
			minI, minV = i, v
		case v > maxV:
			maxI, maxV = i, v
		}
	}
	flush()

	times := make([]time.Time, len(keep))
	for j, i := range keep {
		times[j] = *(s.Time.PointerAt(i).(*time.Time))
	}
	timeField := data.NewField(s.Time.Name, s.Time.Labels, times)
	timeField.Config = s.Time.Config
	var valueField *data.Field
	if nullable {
		values := make([]*float64, len(keep))
		slab := make([]float64, len(keep))
		for j, i := range keep {
			if v, ok := at(i); ok {
				slab[j] = v
				values[j] = &slab[j]
			}
		}
		valueField = data.NewField(s.Value.Name, s.Value.Labels, values)
	} else {
		values := make([]float64, len(keep))
		for j, i := range keep {
			values[j], _ = at(i)
		}
		valueField = data.NewField(s.Value.Name, s.Value.Labels, values)
	}
	valueField.Config = s.Value.Config
	return &Series{Name: s.Name, Labels: s.Labels, Time: timeField, Value: valueField}
}
