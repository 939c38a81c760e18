package e2e

import (
	"context"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func TestResponseCache(t *testing.T) {
	tests := []struct {
		name      string
		ttl       any // jsonData.cacheTTLSeconds; nil leaves it unset
		headers   map[string]string
		wantCalls int64
	}{
		{name: "off by default", wantCalls: 3},
		{name: "on", ttl: 60, wantCalls: 1},
		{name: "on, alert queries skip it", ttl: "60", headers: map[string]string{"X-Cache-Skip": "true", backend.FromAlertHeaderName: "true"}, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := refserver.New(refserver.Options{})
			ds := dataSource(serve(t, srv).URL)
			if tt.ttl != nil {
				ds.JSONData["cacheTTLSeconds"] = tt.ttl
			}
			for i := 0; i < 3; i++ {
				res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{dq("A", `{"target":"cpu_usage","alias":"run `+string(rune('0'+i))+`"}`)}, tt.headers)
				if err != nil || res.Responses["A"].Error != nil {
					t.Fatal(err, res.Responses["A"].Error)
				}
				if got := res.Responses["A"].Frames[0].Fields[1].Config.DisplayNameFromDS; got != "run "+string(rune('0'+i)) {
					t.Errorf("a cached answer kept an old legend: %q", got)
				}
			}
			if got := srv.Count("/query"); got != tt.wantCalls {
				t.Errorf("%d upstream calls, want %d", got, tt.wantCalls)
			}
		})
	}
}
