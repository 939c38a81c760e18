package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

var (
	now       = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	sixHours  = backend.TimeRange{From: now.Add(-6 * time.Hour), To: now}
	fromAlert = map[string]string{backend.FromAlertHeaderName: "true"}
)

func dq(ref, model string) backend.DataQuery {
	return backend.DataQuery{RefID: ref, JSON: json.RawMessage(model), TimeRange: sixHours, MaxDataPoints: 360, Interval: time.Minute}
}

func TestQueryData(t *testing.T) {
	srv := refserver.New(refserver.Options{})
	ref := serve(t, srv)
	ds := dataSource(ref.URL)

	tests := []struct {
		query  backend.DataQuery
		series int    // time series frames expected
		tables int    // table frames expected
		status int    // expected error status, 0 for success
		errMsg string // fragment of the error
		check  func(t *testing.T, frames data.Frames)
	}{
		{query: dq("A", `{"target":"requests_per_second","payload":{"service":["checkout"]},"alias":"{{service}} {{region}}"}`), series: 2,
			check: func(t *testing.T, frames data.Frames) {
				v := frames[0].Fields[1]
				if v.Config == nil || v.Config.DisplayNameFromDS != "checkout eu-west" {
					t.Errorf("alias not applied: %+v", v.Config)
				}
				if v.Labels["service"] != "checkout" || v.Name != "requests_per_second" {
					t.Errorf("value field %q %v", v.Name, v.Labels)
				}
				if frames[0].Fields[0].Len() != 360 {
					t.Errorf("got %d points, want 360", frames[0].Fields[0].Len())
				}
				if !strings.Contains(frames[0].Meta.ExecutedQueryString, `"target": "requests_per_second"`) {
					t.Errorf("executed query string: %s", frames[0].Meta.ExecutedQueryString)
				}
			}},
		// Saved by the JSON datasource's frontend: payload as a string, editorMode, no format.
		{query: dq("B", `{"target":"latency_p99_ms","payload":"{\"region\":\"eu-west\"}","editorMode":"code","datasource":{"type":"simpod-json-datasource"}}`), series: 3},
		// Saved by SimpleJSON: "type": "timeserie".
		{query: dq("C", `{"target":"cpu_usage","type":"timeserie"}`), series: 6},
		{query: dq("D", `{"target":"deployments","format":"table"}`), tables: 1,
			check: func(t *testing.T, frames data.Frames) {
				if frames[0].Meta.Type != data.FrameTypeTable || frames[0].Fields[0].Type() != data.FieldTypeNullableTime {
					t.Errorf("table frame %v %v", frames[0].Meta.Type, frames[0].Fields[0].Type())
				}
			}},
		{query: dq("E", `{"target":"no_such_metric"}`), series: 0},
		{query: dq("F", `{"target":"cpu_usage","format":"heatmap"}`), status: 400, errMsg: `format "heatmap"`},
		{query: dq("G", `{"target":"cpu_usage",`), status: 400, errMsg: "not valid JSON"},
		{query: dq("H", `{"payload":{}}`), status: 400, errMsg: "no metric selected"},
		{query: dq("I", `{"target":"cpu_usage","payload":"not json"}`), status: 400, errMsg: "payload"},
		{query: backend.DataQuery{RefID: "J", JSON: json.RawMessage(`{"target":"cpu_usage"}`), TimeRange: backend.TimeRange{From: now, To: now.Add(-time.Hour)}}, status: 400, errMsg: "inverted"},
		// maxDataPoints 0 and no interval: the plugin derives positive values.
		{query: backend.DataQuery{RefID: "K", JSON: json.RawMessage(`{"target":"error_ratio","payload":{"service":"search","region":"us-east"}}`), TimeRange: sixHours}, series: 1},
	}
	queries := make([]backend.DataQuery, len(tests))
	for i, tt := range tests {
		queries[i] = tt.query
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before := srv.Count("/query")
	res, err := host.QueryData(ctx, ds, queries, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One /query call per valid query: answers do not say which target
	// they belong to.
	if got := srv.Count("/query") - before; got != 6 {
		t.Errorf("%d /query calls, want 6", got)
	}
	for _, tt := range tests {
		t.Run(tt.query.RefID, func(t *testing.T) {
			r, ok := res.Responses[tt.query.RefID]
			if !ok {
				t.Fatal("no response")
			}
			if tt.status != 0 {
				if r.Error == nil || int(r.Status) != tt.status || !strings.Contains(r.Error.Error(), tt.errMsg) {
					t.Fatalf("got error %v status %d, want status %d with %q", r.Error, r.Status, tt.status, tt.errMsg)
				}
				return
			}
			if r.Error != nil {
				t.Fatalf("error: %v", r.Error)
			}
			series, tables := 0, 0
			for _, f := range r.Frames {
				if f.RefID != tt.query.RefID {
					t.Errorf("frame refId %q", f.RefID)
				}
				switch {
				case f.Meta.Type == data.FrameTypeTable:
					tables++
				case len(f.Fields) > 0:
					series++
				}
			}
			if series != tt.series || tables != tt.tables {
				t.Fatalf("got %d series and %d tables, want %d and %d", series, tables, tt.series, tt.tables)
			}
			if tables == 0 {
				reader, err := timeseries.CollectionReaderFromFrames(r.Frames)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := reader.GetCollection(false); err != nil {
					t.Fatalf("frames are not a valid data plane time series collection: %v", err)
				}
			}
			if tt.check != nil {
				tt.check(t, r.Frames)
			}
		})
	}
}

// Alert rules read the series as a data plane collection in either
// layout, after the frames crossed the plugin protocol.
func TestQueryFromAlerting(t *testing.T) {
	url := serve(t, refserver.New(refserver.Options{})).URL
	for _, tt := range []struct {
		layout string
		want   data.FrameType
	}{
		{"", data.FrameTypeTimeSeriesMulti},
		{"wide", data.FrameTypeTimeSeriesWide},
	} {
		t.Run("layout="+cmp.Or(tt.layout, "default"), func(t *testing.T) {
			ds := dataSource(url)
			if tt.layout != "" {
				ds.JSONData["layout"] = tt.layout
			}
			res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{
				dq("A", `{"target":"cpu_usage","payload":{"region":"eu-west"}}`),
				dq("B", `{"target":"deployments","format":"table"}`),
				dq("C", `{"target":"deployments"}`), // a table answer without format=table
			}, fromAlert)
			if err != nil {
				t.Fatal(err)
			}
			a := res.Responses["A"]
			if a.Error != nil {
				t.Fatal(a.Error)
			}
			if a.Frames[0].Meta.Type != tt.want {
				t.Errorf("frames of type %s, want %s", a.Frames[0].Meta.Type, tt.want)
			}
			reader, err := timeseries.CollectionReaderFromFrames(a.Frames)
			if err != nil {
				t.Fatal(err)
			}
			c, err := reader.GetCollection(true)
			if err != nil || len(c.Refs) != 3 {
				t.Fatalf("alert collection: %d refs, %v", len(c.Refs), err)
			}
			for _, ref := range []string{"B", "C"} {
				if r := res.Responses[ref]; r.Error == nil || !strings.Contains(r.Error.Error(), "alert rules cannot evaluate") {
					t.Errorf("%s: got %v, want the table-in-alert error", ref, r.Error)
				}
			}
		})
	}
}

// Settings saved twice in one second carry the same "updated" time
// (Grafana keeps seconds): the second save is applied all the same, for
// every kind of call, because the plugin compares the settings
// themselves.
func TestSettingsSavedTwiceInOneSecond(t *testing.T) {
	saved := time.Now().Truncate(time.Second)
	tests := []struct {
		name string
		call func(ds grafanahost.DataSource) error
		path string
	}{
		{name: "query", path: "/query", call: func(ds grafanahost.DataSource) error {
			res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}, nil)
			if err == nil && res.Responses["A"].Error != nil {
				err = res.Responses["A"].Error
			}
			return err
		}},
		{name: "health", path: "/metrics", call: func(ds grafanahost.DataSource) error {
			res, err := host.CheckHealth(context.Background(), ds)
			if err == nil && res.Status != backend.HealthStatusOk {
				err = errors.New(res.Message)
			}
			return err
		}},
		{name: "resource", path: "/metrics", call: func(ds grafanahost.DataSource) error {
			res, err := host.CallResource(context.Background(), ds, "POST", "metrics", []byte(`{}`))
			if err == nil && res.Status != 200 {
				err = fmt.Errorf("status %d: %s", res.Status, res.Body)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := refserver.New(refserver.Options{})
			second := refserver.New(refserver.Options{})
			ds := dataSource(serve(t, first).URL)
			ds.Updated = saved
			if err := tt.call(ds); err != nil {
				t.Fatal(err)
			}
			ds.URL = serve(t, second).URL
			if err := tt.call(ds); err != nil {
				t.Fatal(err)
			}
			if n := second.Count(tt.path); n != 1 {
				t.Errorf("the second save was not applied: its server saw %d calls to %s, the first server %d", n, tt.path, first.Count(tt.path))
			}
		})
	}
}

// Changing the settings (a new "updated" time) builds a new instance
// which uses the new URL; the old one is disposed.
func TestSettingsChangeBuildsNewInstance(t *testing.T) {
	first := serve(t, refserver.New(refserver.Options{}))
	second := refserver.New(refserver.Options{})
	secondSrv := serve(t, second)
	ds := dataSource(first.URL)
	q := []backend.DataQuery{dq("A", `{"target":"cpu_usage"}`)}
	if _, err := host.QueryData(context.Background(), ds, q, nil); err != nil {
		t.Fatal(err)
	}
	ds.URL = secondSrv.URL
	ds.Updated = time.Now()
	res, err := host.QueryData(context.Background(), ds, q, nil)
	if err != nil || res.Responses["A"].Error != nil {
		t.Fatal(err, res.Responses["A"].Error)
	}
	if second.Count("/query") != 1 {
		t.Errorf("new settings not used: second server saw %d queries", second.Count("/query"))
	}
}
