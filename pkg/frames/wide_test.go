package frames

import (
	"reflect"
	"strings"
	"testing"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// readCollection reads frames as alerting and server-side expressions do,
// validating the data as well as the shape.
func readCollection(t *testing.T, frames data.Frames) timeseries.Collection {
	t.Helper()
	r, err := timeseries.CollectionReaderFromFrames(frames)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.GetCollection(true)
	if err != nil {
		t.Fatalf("not a valid time series collection: %v", err)
	}
	if len(c.RemainderIndices) > 0 || c.Warning != nil {
		t.Errorf("the reader ignored %v (warning %v)", c.RemainderIndices, c.Warning)
	}
	return c
}

// sameSeries fails unless both collections hold the same series: names,
// labels, legends, and every point's time and value (null and NaN
// included). The wide reader sorts series by name and labels, the multi
// reader keeps frame order, so series are matched by name and labels.
func sameSeries(t *testing.T, wide, multi timeseries.Collection) {
	t.Helper()
	if len(wide.Refs) != len(multi.Refs) {
		t.Fatalf("wide has %d series, multi %d", len(wide.Refs), len(multi.Refs))
	}
	byKey := map[string]timeseries.MetricRef{}
	for _, m := range multi.Refs {
		byKey[m.GetMetricName()+" "+m.GetLabels().String()] = m
	}
	for i, w := range wide.Refs {
		m, ok := byKey[w.GetMetricName()+" "+w.GetLabels().String()]
		if !ok {
			t.Errorf("series %d: wide has %q %v, which multi lacks", i, w.GetMetricName(), w.GetLabels())
			continue
		}
		if !reflect.DeepEqual(w.ValueField.Config, m.ValueField.Config) {
			t.Errorf("series %d: wide config %+v, multi %+v", i, w.ValueField.Config, m.ValueField.Config)
		}
		wn, _ := w.Len()
		mn, _ := m.Len()
		if wn != mn {
			t.Fatalf("series %d: wide has %d points, multi %d", i, wn, mn)
		}
		for p := range wn {
			wt, wv, err1 := w.NullableFloat64Point(p)
			mt, mv, err2 := m.NullableFloat64Point(p)
			if err1 != nil || err2 != nil {
				t.Fatalf("series %d point %d: %v %v", i, p, err1, err2)
			}
			sameValue := wv == nil && mv == nil || wv != nil && mv != nil && (*wv == *mv || *wv != *wv && *mv != *mv)
			if !wt.Equal(mt) || !sameValue {
				t.Errorf("series %d point %d: wide %v %v, multi %v %v", i, p, wt, deref(wv), mt, deref(mv))
			}
		}
	}
}

func TestWideLayout(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		opts     Options
		wantWide bool
		// wantFallback is in the info notice of an answer sent as multi.
		wantFallback string
	}{
		{
			name:     "shared timestamps, labels and a legend",
			body:     `[{"target":"cpu","tags":{"host":"a","dc":"eu"},"datapoints":[[1,1000],[2,2000],[3,3000]]},{"target":"cpu","tags":{"host":"b","dc":"eu"},"datapoints":[[4,1000],[5,2000],[6,3000]]}]`,
			opts:     Options{Alias: "{{host}} in {{dc}}"},
			wantWide: true,
		},
		{
			name:     "nulls and NaN in some series only",
			body:     `[{"target":"cpu","tags":{"host":"a"},"datapoints":[[null,1000],[2,2000]]},{"target":"cpu","tags":{"host":"b"},"datapoints":[[4,1000],["NaN",2000]]},{"target":"cpu","tags":{"host":"c"},"datapoints":[[7,1000],[8,2000]]}]`,
			wantWide: true,
		},
		{
			name:     "different names, no labels",
			body:     `[{"target":"requests","datapoints":[[1,1000],[2,2000]]},{"target":"errors","datapoints":[[0,1000],[1,2000]]}]`,
			wantWide: true,
		},
		{
			name:     "one series",
			body:     `[{"target":"up","datapoints":[[1,1000],[1,2000]]}]`,
			wantWide: true,
		},
		{
			name:     "alert rule",
			body:     `[{"target":"cpu","tags":{"host":"a"},"datapoints":[[1,1000],[2,2000]]},{"target":"cpu","tags":{"host":"b"},"datapoints":[[3,1000],[4,2000]]}]`,
			opts:     Options{ForAlerting: true},
			wantWide: true,
		},
		{
			name:     "series arrive out of order and are sorted first",
			body:     `[{"target":"cpu","tags":{"host":"a"},"datapoints":[[2,2000],[1,1000]]},{"target":"cpu","tags":{"host":"b"},"datapoints":[[3,1000],[4,2000]]}]`,
			wantWide: true,
		},
		{
			name:         "different lengths",
			body:         `[{"target":"cpu","tags":{"host":"a"},"datapoints":[[1,1000],[2,2000],[3,3000]]},{"target":"cpu","tags":{"host":"b"},"datapoints":[[4,1000],[5,2000]]}]`,
			wantFallback: `the series' timestamps differ (series "cpu" {host=a} has 3 points and series "cpu" {host=b} has 2)`,
		},
		{
			name:         "same length, different times",
			body:         `[{"target":"cpu","datapoints":[[1,1000],[2,2000]]},{"target":"mem","datapoints":[[4,1000],[5,2500]]}]`,
			wantFallback: `series "cpu" and series "mem" differ at point 2 (1970-01-01T00:00:02Z and 1970-01-01T00:00:02.5Z)`,
		},
		{
			name:         "downsampled series keep their own extremes",
			body:         `[{"target":"cpu","datapoints":[[1,1000],[9,2000],[2,3000],[3,4000],[8,5000],[1,6000]]},{"target":"mem","datapoints":[[9,1000],[1,2000],[2,3000],[8,4000],[1,5000],[3,6000]]}]`,
			opts:         Options{Downsample: true, MaxDataPoints: 4},
			wantFallback: "downsampling keeps each series' own extremes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 100)
			if err != nil {
				t.Fatal(err)
			}
			wideOpts, multiOpts := tt.opts, tt.opts
			wideOpts.Wide = true
			wide, err := a.Frames(wideOpts)
			if err != nil {
				t.Fatal(err)
			}
			multi, err := a.Frames(multiOpts)
			if err != nil {
				t.Fatal(err)
			}
			wantType, wantFrames := data.FrameTypeTimeSeriesMulti, len(a.Series)
			if tt.wantWide {
				wantType, wantFrames = data.FrameTypeTimeSeriesWide, 1
			}
			if len(wide) != wantFrames || wide[0].Meta.Type != wantType {
				t.Fatalf("%d frames of type %s, want %d of %s", len(wide), wide[0].Meta.Type, wantFrames, wantType)
			}
			if tt.wantWide {
				if n := len(wide[0].Fields); n != len(a.Series)+1 {
					t.Errorf("%d fields, want one time field and %d value fields", n, len(a.Series))
				}
			}
			var infos []string
			for _, n := range wide[0].Meta.Notices {
				if n.Severity == data.NoticeSeverityInfo {
					infos = append(infos, n.Text)
				}
			}
			switch {
			case tt.wantFallback == "" && len(infos) > 0:
				t.Errorf("notices %q, want none", infos)
			case tt.wantFallback != "" && (len(infos) != 1 || !strings.Contains(infos[0], tt.wantFallback) ||
				!strings.HasPrefix(infos[0], "sent as one frame per series (timeseries-multi), not one wide frame")):
				t.Errorf("notices %q, want one that says %q", infos, tt.wantFallback)
			}
			sameSeries(t, readCollection(t, wide), readCollection(t, multi))
		})
	}
}

// The answer is shared by every query it serves: building a wide frame
// (with a legend) leaves its series as they were for the next query.
func TestWideLeavesTheAnswerAlone(t *testing.T) {
	a, err := Decode(strings.NewReader(`[{"target":"cpu","tags":{"host":"a"},"datapoints":[[1,1000]]},{"target":"cpu","tags":{"host":"b"},"datapoints":[[2,1000]]}]`), 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Frames(Options{Wide: true, Alias: "{{host}}"}); err != nil {
		t.Fatal(err)
	}
	multi, err := a.Frames(Options{Alias: "x {{host}}"})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range a.Series {
		if s.Value.Name != "" || s.Value.Config != nil || s.Value.Labels != nil {
			t.Errorf("series %d's field changed: %q %v %+v", i, s.Value.Name, s.Value.Labels, s.Value.Config)
		}
		if got := multi[i].Fields[1].Config.DisplayNameFromDS; got != "x "+s.Labels["host"] {
			t.Errorf("series %d: legend %q", i, got)
		}
	}
}

// Tables, the table format and empty answers look as they do without the
// wide layout.
func TestWideLeavesOtherAnswersAlone(t *testing.T) {
	tests := []struct {
		name, body string
		opts       Options
	}{
		{"empty answer", `[]`, Options{}},
		{"table", `[{"columns":[{"text":"a"}],"rows":[[1]]}]`, Options{}},
		{"series in the table format", `[{"target":"cpu","datapoints":[[1,1000]]},{"target":"mem","datapoints":[[2,1000]]}]`, Options{AsTable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 10)
			if err != nil {
				t.Fatal(err)
			}
			wideOpts := tt.opts
			wideOpts.Wide = true
			wide, err1 := a.Frames(wideOpts)
			multi, err2 := a.Frames(tt.opts)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			w, _ := wide.MarshalJSON()
			m, _ := multi.MarshalJSON()
			if string(w) != string(m) {
				t.Errorf("wide layout changed the frames:\n%s\nwant\n%s", w, m)
			}
		})
	}
}
