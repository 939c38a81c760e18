package e2e

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.yaml.in/yaml/v3"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

const provisioning = "../provisioning"

// provisionedDataSource is provisioning/datasources' one entry.
type provisionedDataSource struct {
	Name           string            `yaml:"name"`
	UID            string            `yaml:"uid"`
	Type           string            `yaml:"type"`
	URL            string            `yaml:"url"`
	JSONData       map[string]any    `yaml:"jsonData"`
	SecureJSONData map[string]string `yaml:"secureJsonData"`
}

// dsRef is how dashboards and rules name a data source.
type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type provisionedDashboard struct {
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource dsRef           `json:"datasource"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string          `json:"name"`
			BuiltIn    int             `json:"builtIn"`
			Enable     bool            `json:"enable"`
			IconColor  string          `json:"iconColor"`
			Datasource dsRef           `json:"datasource"`
			Target     json.RawMessage `json:"target"`
		} `json:"list"`
	} `json:"annotations"`
	Panels []struct {
		Title      string `json:"title"`
		Type       string `json:"type"`
		Datasource dsRef  `json:"datasource"`
		Targets    []struct {
			Datasource dsRef `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

type alertRules struct {
	Groups []struct {
		Rules []struct {
			UID       string     `yaml:"uid"`
			Title     string     `yaml:"title"`
			Condition string     `yaml:"condition"`
			Data      []ruleStep `yaml:"data"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// ruleStep is one query or expression of an alert rule.
type ruleStep struct {
	RefID             string `yaml:"refId"`
	DatasourceUID     string `yaml:"datasourceUid"`
	RelativeTimeRange struct {
		From int64 `yaml:"from"`
		To   int64 `yaml:"to"`
	} `yaml:"relativeTimeRange"`
	Model map[string]any `yaml:"model"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(provisioning, path))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
}

// loadProvisioned reads the data source and the dashboard, and the
// dashboard's panels' queries as saved.
func loadProvisioned(t *testing.T) (provisionedDataSource, provisionedDashboard, [][]json.RawMessage) {
	t.Helper()
	var dsFile struct {
		APIVersion  int                     `yaml:"apiVersion"`
		Datasources []provisionedDataSource `yaml:"datasources"`
	}
	readYAML(t, "datasources/inhouse-metrics.yaml", &dsFile)
	if dsFile.APIVersion != 1 || len(dsFile.Datasources) != 1 {
		t.Fatalf("datasources file: apiVersion %d, %d data sources; want 1 and 1", dsFile.APIVersion, len(dsFile.Datasources))
	}
	raw, err := os.ReadFile(filepath.Join(provisioning, "dashboards/inhouse-metrics-overview.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash provisionedDashboard
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard does not parse: %v", err)
	}
	var targets struct {
		Panels []struct {
			Targets []json.RawMessage `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &targets); err != nil {
		t.Fatal(err)
	}
	var out [][]json.RawMessage
	for _, p := range targets.Panels {
		out = append(out, p.Targets)
	}
	return dsFile.Datasources[0], dash, out
}

// The provisioned files name the plugin and one data source uid
// throughout, and the dashboard uses every feature the README promises.
func TestProvisioningNamesOneDataSource(t *testing.T) {
	ds, dash, _ := loadProvisioned(t)
	if ds.Type != "inhouse-metrics-datasource" || ds.UID == "" {
		t.Fatalf("data source type %q uid %q", ds.Type, ds.UID)
	}
	want := dsRef{Type: ds.Type, UID: ds.UID}
	check := func(where string, got dsRef) {
		if got != want {
			t.Errorf("%s names data source %+v, want %+v", where, got, want)
		}
	}
	kinds := map[string]int{}
	for _, v := range dash.Templating.List {
		check("variable $"+v.Name, v.Datasource)
		kinds["variable "+v.Type]++
		if strings.Contains(string(v.Query), "$") {
			kinds["chained variable"]++
		}
	}
	for _, a := range dash.Annotations.List {
		if a.BuiltIn == 1 {
			continue
		}
		check("annotation "+a.Name, a.Datasource)
		kinds["annotation"]++
	}
	raw, _ := os.ReadFile(filepath.Join(provisioning, "dashboards/inhouse-metrics-overview.json"))
	for _, p := range dash.Panels {
		check("panel "+p.Title, p.Datasource)
		for _, tg := range p.Targets {
			check("a query of panel "+p.Title, tg.Datasource)
		}
		kinds["panel "+p.Type]++
	}
	if strings.Contains(string(raw), `"live": true`) {
		kinds["live"]++
	}
	for _, k := range []string{"variable query", "chained variable", "variable adhoc", "annotation", "panel timeseries", "panel table", "live"} {
		if kinds[k] == 0 {
			t.Errorf("the dashboard has no %s (it has %v)", k, kinds)
		}
	}

	var rules alertRules
	readYAML(t, "alerting/inhouse-metrics.yaml", &rules)
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			for _, d := range r.Data {
				if d.DatasourceUID != "__expr__" && d.DatasourceUID != ds.UID {
					t.Errorf("rule %s query %s names data source %q, want %q", r.UID, d.RefID, d.DatasourceUID, ds.UID)
				}
				if d.DatasourceUID == ds.UID {
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Error("no alert rule queries the data source")
	}

	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "dashboards/provider.yaml", &provider)
	if len(provider.Providers) != 1 || provider.Providers[0].Options.Path != "/etc/grafana/provisioning/dashboards" {
		t.Errorf("dashboard provider %+v; want one reading /etc/grafana/provisioning/dashboards, where the compose file mounts provisioning/dashboards", provider.Providers)
	}
}

// provisionedInstance is the provisioned data source as Grafana would make
// it, its ${...} taken from env, pointed at a reference server that wants
// the key.
func provisionedInstance(t *testing.T, ds provisionedDataSource) grafanahost.DataSource {
	t.Helper()
	const key = "provisioned-KEY-0042"
	ref := serve(t, refserver.New(refserver.Options{Token: key}))
	env := map[string]string{"INHOUSE_METRICS_URL": ref.URL, "INHOUSE_METRICS_API_KEY": key}
	expand := func(s string) string {
		return os.Expand(s, func(name string) string {
			v, ok := env[name]
			if !ok {
				t.Errorf("the data source reads $%s, which the compose file does not set", name)
			}
			return v
		})
	}
	if strings.Contains(ds.SecureJSONData["apiKey"], key) || !strings.HasPrefix(ds.SecureJSONData["apiKey"], "$") {
		t.Errorf("the API key is written into the file (%q); take it from an environment variable", ds.SecureJSONData["apiKey"])
	}
	inst := dataSource(expand(ds.URL))
	inst.UID, inst.Name, inst.JSONData = ds.UID, ds.Name, ds.JSONData
	inst.Secure = map[string]string{}
	for k, v := range ds.SecureJSONData {
		inst.Secure[k] = expand(v)
	}
	return inst
}

var dollarVar = regexp.MustCompile(`\$\{?(\w+)\}?`)

// Every query the provisioned files hold parses with the backend's own
// parsers, and runs through the plugin against the reference server: the
// data source passes Save & test with its key from the environment, the
// variables list options (the second chained to the first), the panels
// answer (the table as a table, the live panel with its channel), the
// annotations give events, and the alert rule's query, sent as Grafana's
// scheduler sends it, answers series above its threshold, so it fires.
func TestProvisionedQueriesRunThroughThePlugin(t *testing.T) {
	ds, dash, panels := loadProvisioned(t)
	inst := provisionedInstance(t, ds)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	health, err := host.CheckHealth(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	if health.Status != backend.HealthStatusOk {
		t.Fatalf("Save & test of the provisioned data source: %s", health.Message)
	}

	now := time.Now()
	tr := backend.TimeRange{From: now.Add(-12 * time.Hour), To: now}
	vars := map[string]string{}
	// The frontend replaces variables before the backend sees a query.
	interpolate := func(model json.RawMessage) json.RawMessage {
		return json.RawMessage(dollarVar.ReplaceAllStringFunc(string(model), func(m string) string {
			if v, ok := vars[dollarVar.FindStringSubmatch(m)[1]]; ok {
				return v
			}
			return m
		}))
	}
	run := func(what string, q backend.DataQuery, headers map[string]string, caller *grafanahost.Caller) backend.DataResponse {
		t.Helper()
		res, err := host.QueryDataAs(ctx, inst, caller, []backend.DataQuery{q}, headers)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		dr := res.Responses[q.RefID]
		if dr.Error != nil {
			t.Fatalf("%s: %v", what, dr.Error)
		}
		if len(dr.Frames) == 0 {
			t.Fatalf("%s answered no frame", what)
		}
		return dr
	}

	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := backend.DataQuery{RefID: "variable", QueryType: models.QueryTypeVariable, JSON: interpolate(v.Query), TimeRange: tr}
		if _, err := models.ParseVariableQuery(q); err != nil {
			t.Fatalf("variable $%s does not parse: %v", v.Name, err)
		}
		f := run("variable $"+v.Name, q, nil, grafanahost.Admin).Frames[0]
		if f.Rows() == 0 {
			t.Fatalf("variable $%s lists no options", v.Name)
		}
		vars[v.Name] = f.Fields[1].At(0).(string)
		t.Logf("$%s: %d options, the first %s", v.Name, f.Rows(), vars[v.Name])
	}

	for i, targets := range panels {
		p := dash.Panels[i]
		for _, raw := range targets {
			q := backend.DataQuery{RefID: "A", QueryType: models.QueryTypeMetrics, JSON: interpolate(raw), TimeRange: tr, MaxDataPoints: 500, Interval: time.Minute}
			parsed, err := models.ParseQuery(q)
			if err != nil {
				t.Fatalf("panel %q's query does not parse: %v", p.Title, err)
			}
			dr := run("panel "+p.Title, q, nil, grafanahost.Admin)
			switch {
			case p.Type == "table" && dr.Frames[0].Meta.Type != data.FrameTypeTable:
				t.Errorf("table panel %q got a %s frame", p.Title, dr.Frames[0].Meta.Type)
			case parsed.Live && (dr.Frames[0].Meta.Custom == nil):
				t.Errorf("live panel %q got no channel to subscribe to", p.Title)
			}
		}
	}

	for _, a := range dash.Annotations.List {
		if a.BuiltIn == 1 {
			continue
		}
		var model map[string]any
		if err := json.Unmarshal(interpolate(a.Target), &model); err != nil {
			t.Fatal(err)
		}
		// As the frontend's prepareQuery sends the annotation query text.
		if _, ok := model["query"]; ok {
			model["name"], model["enable"], model["iconColor"] = a.Name, a.Enable, a.IconColor
		}
		body, _ := json.Marshal(model)
		q := backend.DataQuery{RefID: "Anno", QueryType: models.QueryTypeAnnotations, JSON: body, TimeRange: tr}
		if _, err := models.ParseAnnotationQuery(q); err != nil {
			t.Fatalf("annotation %s does not parse: %v", a.Name, err)
		}
		if f := run("annotation "+a.Name, q, nil, grafanahost.Admin).Frames[0]; f.Rows() == 0 {
			t.Errorf("annotation %s: no events over 12 hours", a.Name)
		}
	}

	var rules alertRules
	readYAML(t, "alerting/inhouse-metrics.yaml", &rules)
	scheduler := &grafanahost.Caller{Login: "grafana_scheduler"}
	alert := map[string]string{backend.FromAlertHeaderName: "true", "X-Cache-Skip": "true"}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			threshold := ruleThreshold(t, r.Condition, r.Data)
			for _, d := range r.Data {
				if d.DatasourceUID != ds.UID {
					continue
				}
				body, _ := json.Marshal(d.Model)
				q := backend.DataQuery{
					RefID: d.RefID, QueryType: models.QueryTypeMetrics, JSON: body,
					TimeRange:     backend.TimeRange{From: now.Add(-time.Duration(d.RelativeTimeRange.From) * time.Second), To: now.Add(-time.Duration(d.RelativeTimeRange.To) * time.Second)},
					MaxDataPoints: int64(d.Model["maxDataPoints"].(int)), Interval: time.Duration(d.Model["intervalMs"].(int)) * time.Millisecond,
				}
				if _, err := models.ParseQuery(q); err != nil {
					t.Fatalf("rule %s query %s does not parse: %v", r.UID, d.RefID, err)
				}
				dr := run("rule "+r.UID, q, alert, scheduler)
				for _, f := range dr.Frames {
					last := lastValue(f)
					t.Logf("rule %s: %s last %v, threshold %v", r.UID, f.Fields[1].Labels, last, threshold)
					if !(last > threshold) {
						t.Errorf("rule %s: series %s ends at %v, not above %v: the rule would not fire", r.UID, f.Fields[1].Labels, last, threshold)
					}
				}
			}
		}
	}
}

// ruleThreshold is the gt threshold of the rule's condition expression.
func ruleThreshold(t *testing.T, condition string, steps []ruleStep) float64 {
	t.Helper()
	for _, s := range steps {
		if s.RefID != condition {
			continue
		}
		conds, _ := s.Model["conditions"].([]any)
		if s.Model["type"] != "threshold" || len(conds) != 1 {
			t.Fatalf("condition %s is not one threshold: %v", condition, s.Model)
		}
		ev := conds[0].(map[string]any)["evaluator"].(map[string]any)
		params := ev["params"].([]any)
		if ev["type"] != "gt" || len(params) != 1 {
			t.Fatalf("condition %s: evaluator %v, want gt with one value", condition, ev)
		}
		switch v := params[0].(type) {
		case int:
			return float64(v)
		case float64:
			return v
		}
	}
	t.Fatalf("no step is the condition %s", condition)
	return math.NaN()
}

// lastValue is a time series frame's last non-null value.
func lastValue(f *data.Frame) float64 {
	for i := f.Rows() - 1; i >= 0; i-- {
		if v, ok := f.Fields[1].ConcreteAt(i); ok {
			return v.(float64)
		}
	}
	return math.NaN()
}
