package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// TestLiveStreamSeriesChange: the service's set of series changes under a
// running stream (docs/contract.md, Live streams). A series that appears
// becomes a new field, announced by a full frame, then data only again; one
// that stops answering keeps its field, with nulls, and needs no new
// schema. Rows stay contiguous throughout.
func TestLiveStreamSeriesChange(t *testing.T) {
	// The plugin asks for service=search; the server answers eu-west
	// only, or both regions once wide is set.
	var wide atomic.Bool
	ref := refserver.New(refserver.Options{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == contract.PathQuery && !wide.Load() {
			var req contract.QueryRequest
			body, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(body, &req); err == nil {
				for i := range req.Targets {
					req.Targets[i].Payload["region"] = "eu-west"
				}
				body, _ = json.Marshal(req)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		ref.ServeHTTP(w, r)
	}))
	ds := liveDS(srv.URL)
	history, ch := liveQuery(t, host, ds, `{"target":"cpu_usage","payload":{"service":"search"}}`)
	if n := len(history.Fields); n != 2 {
		t.Fatalf("history has %d fields, want time and one series", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	packets := watch(ctx, t, host, ds, ch, nil)
	var all []packet
	take := func() packet {
		t.Helper()
		p := next(t, packets, 3*liveInterval)
		all = append(all, p)
		return p
	}
	// Until a row arrives.
	for take().frame.Rows() == 0 {
	}

	wide.Store(true)
	var grown packet
	for {
		p := take()
		if len(p.frame.Fields) == 3 {
			grown = p
			break
		}
		if p.full && len(all) > 1 {
			t.Errorf("a full frame with %d fields before the series appeared", len(p.frame.Fields))
		}
	}
	if !grown.full || grown.frame.Rows() == 0 {
		t.Errorf("the packet where a series appears: full %v with %d rows, want a full frame with the new point", grown.full, grown.frame.Rows())
	}
	if p := take(); p.full || len(p.frame.Fields) != 3 {
		t.Errorf("the packet after the new schema: full %v with %d fields, want data only with 3", p.full, len(p.frame.Fields))
	}

	wide.Store(false)
	// Let a poll or two answer without the us-east series.
	for range 3 {
		p := take()
		if p.full {
			t.Errorf("a full frame after a series stopped answering, want it kept with nulls under the same schema")
		}
	}
	cancel()
	for range packets {
	}

	var rows []row
	for _, p := range all {
		rows = append(rows, rowsOf(t, p.frame)...)
	}
	checkContiguous(t, rowsOf(t, history)[history.Rows()-1].t, rows)
	usEast := ""
	for _, f := range grown.frame.Fields[1:] {
		if f.Labels["region"] == "us-east" {
			usEast = f.Name
		}
	}
	if usEast == "" {
		t.Fatalf("the new field is not the us-east series: %s", fieldNames(grown.frame))
	}
	last := rows[len(rows)-1]
	if v, ok := last.vals[usEast]; !ok || v != nil {
		t.Errorf("the last row has %s = %v (present %v), want a null after the series stopped", usEast, deref(v), ok)
	}
}

// TestLiveOperatorFloor: the operator's GF_PLUGIN_LIVE_MIN_INTERVAL
// raises every data source's floor: a 1 s query polls every 2 s, each
// poll bringing two new points.
func TestLiveOperatorFloor(t *testing.T) {
	srv := refserver.New(refserver.Options{})
	ref := serve(t, srv)
	h := startHost(t, nil, "GF_PLUGIN_LIVE_MIN_INTERVAL=2")
	ds := liveDS(ref.URL)
	history, ch := liveQuery(t, h, ds, `{"target":"cpu_usage","payload":{"service":"checkout","region":"eu-west"}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 5500*time.Millisecond)
	defer cancel()
	polls0 := srv.Count(contract.PathQuery)
	var rows []row
	var withRows []packet
	for p := range watch(ctx, t, h, ds, ch, nil) {
		rs := rowsOf(t, p.frame)
		rows = append(rows, rs...)
		if len(rs) > 0 {
			withRows = append(withRows, p)
		}
	}
	polls := srv.Count(contract.PathQuery) - polls0
	t.Logf("%d polls and %d packets with rows in 5.5 s", polls, len(withRows))
	if polls > 4 {
		t.Errorf("%d polls in 5.5 s with the operator's floor at 2 s, want at most 3 (plus the first)", polls)
	}
	for i := 1; i < len(withRows); i++ {
		if gap := withRows[i].at.Sub(withRows[i-1].at); gap < 1500*time.Millisecond {
			t.Errorf("packets %v apart, want about 2 s", gap)
		}
	}
	checkContiguous(t, rowsOf(t, history)[history.Rows()-1].t, rows)
}

// TestLiveQueryRefusals: what a live query gets instead of a channel.
func TestLiveQueryRefusals(t *testing.T) {
	ref := serve(t, refserver.New(refserver.Options{}))
	fwd := liveDS(ref.URL)
	fwd.JSONData["oauthPassThru"] = true
	tests := []struct {
		name    string
		ds      grafanahost.DataSource
		model   string
		headers map[string]string
		status  backend.Status // 0: answered, without a channel
		want    string
	}{
		{name: "table format", ds: liveDS(ref.URL), model: `{"live":true,"target":"cpu_usage","format":"table"}`, status: 400, want: "Time series"},
		{name: "forwarding identity", ds: fwd, model: `{"live":true,"target":"cpu_usage"}`, status: 400, want: "forwards the signed-in user's identity"},
		{name: "alert rule", ds: liveDS(ref.URL), model: `{"live":true,"target":"cpu_usage"}`, headers: fromAlert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end := time.Now()
			q := backend.DataQuery{RefID: "A", JSON: json.RawMessage(tt.model), TimeRange: backend.TimeRange{From: end.Add(-time.Minute), To: end}, MaxDataPoints: 100, Interval: time.Second}
			res, err := host.QueryData(context.Background(), tt.ds, []backend.DataQuery{q}, tt.headers)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Responses["A"]
			if tt.status != 0 {
				if r.Error == nil || r.Status != tt.status || !strings.Contains(r.Error.Error(), tt.want) {
					t.Errorf("got status %d, error %v; want %d saying %q", r.Status, r.Error, tt.status, tt.want)
				}
				return
			}
			if r.Error != nil || len(r.Frames) == 0 {
				t.Fatalf("error %v, %d frames", r.Error, len(r.Frames))
			}
			for _, f := range r.Frames {
				if f.Meta != nil && f.Meta.Channel != "" {
					t.Errorf("an alert rule's frame names channel %s, want ordinary frames", f.Meta.Channel)
				}
			}
		})
	}
}
