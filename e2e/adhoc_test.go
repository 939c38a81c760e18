package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// The ad hoc filter routes through the plugin protocol: keys and values
// in every shape the dialects answer, the same body passed on, and an
// empty list from services without them.
func TestAdHocFilterRoutes(t *testing.T) {
	ref := record(refserver.New(refserver.Options{}))
	plain := record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tag-keys" {
			_, _ = io.WriteString(w, `["host","dc"]`)
			return
		}
		_, _ = io.WriteString(w, `["ams","fra"]`)
	}))
	notImplemented := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusNotImplemented)
	}))
	refURL, plainURL := serve(t, ref).URL, serve(t, plain).URL
	simple := serve(t, simpleJSONServer()).URL
	type fv struct{ Text, Value string }
	tests := []struct {
		name, url, route, body string
		want                   []fv
	}{
		{"keys, {type, text}", refURL, models.ResourceTagKeys, ``, []fv{{"service", "service"}, {"region", "region"}}},
		{"values, {text}", refURL, models.ResourceTagValues, `{"key":"service"}`, []fv{{"checkout", "checkout"}, {"search", "search"}, {"payments", "payments"}}},
		{"keys, strings", plainURL, models.ResourceTagKeys, ``, []fv{{"host", "host"}, {"dc", "dc"}}},
		{"values, strings", plainURL, models.ResourceTagValues, `{"key":"dc"}`, []fv{{"ams", "ams"}, {"fra", "fra"}}},
		{"keys, SimpleJSON (404)", simple, models.ResourceTagKeys, ``, []fv{}},
		{"values, SimpleJSON (404)", simple, models.ResourceTagValues, `{"key":"dc"}`, []fv{}},
		{"keys, 501", notImplemented.URL, models.ResourceTagKeys, ``, []fv{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := host.CallResource(context.Background(), dataSource(tt.url), "POST", tt.route, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []fv
			if err := json.Unmarshal(res.Body, &got); err != nil || res.Status != 200 {
				t.Fatalf("%d %s: %v", res.Status, res.Body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %s, want %v", res.Body, tt.want)
			}
		})
	}
	if got := ref.bodies("/tag-values"); len(got) != 1 || got[0] != `{"key":"service"}` {
		t.Errorf("/tag-values received %q", got)
	}
	if got := ref.bodies("/tag-keys"); len(got) != 1 || got[0] != `{}` {
		t.Errorf("/tag-keys received %q", got)
	}
}

// The dashboard's filters, as the frontend puts them in the query model,
// reach /query under both names, unchanged, and narrow the panel.
func TestAdHocFiltersReachTheService(t *testing.T) {
	srv := record(refserver.New(refserver.Options{}))
	ds := dataSource(serve(t, srv).URL)
	filters := `[{"key":"region","operator":"!=","value":"us-east"},{"key":"service","operator":"=~","value":"check.*|search","condition":"AND"}]`
	res, err := host.QueryData(context.Background(), ds, []backend.DataQuery{
		dq("ALL", `{"target":"cpu_usage"}`),
		dq("FILTERED", `{"target":"cpu_usage","adhocFilters":`+filters+`}`),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if all, filtered := len(res.Responses["ALL"].Frames), len(res.Responses["FILTERED"].Frames); all != 6 || filtered != 2 {
		t.Errorf("%d series without filters and %d with them; want 6 and 2", all, filtered)
	}
	var want []any
	_ = json.Unmarshal([]byte(filters), &want)
	found := false
	for _, body := range srv.bodies("/query") {
		var sent map[string]any
		_ = json.Unmarshal([]byte(body), &sent)
		if len(sent["filters"].([]any)) == 0 {
			continue
		}
		found = true
		if !reflect.DeepEqual(sent["filters"], want) || !reflect.DeepEqual(sent["adhocFilters"], want) {
			t.Errorf("the service received filters %v and adhocFilters %v, want %v under both", sent["filters"], sent["adhocFilters"], want)
		}
	}
	if !found {
		t.Error("no /query carried the filters")
	}
}
