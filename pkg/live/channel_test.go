//lint:file-ignore SA1019 TestOrg sends the org id as Grafana 9 and 10 do.

package live

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/models"
)

const model = `{"refId":"A","target":"cpu","payload":{"region":"eu","service":["a","b"]},"alias":"{{region}} <&>","live":true,"intervalMs":1000,"maxDataPoints":500}`

func mustPath(t *testing.T, org, ds, m string) string {
	t.Helper()
	p, err := Path(org, ds, json.RawMessage(m))
	if err != nil {
		t.Fatalf("Path(%s): %v", m, err)
	}
	return p
}

// The same query written another way (as Grafana re-serialises what the
// browser sent) keeps its channel; any other query, org or data source
// gets another one.
func TestPath(t *testing.T) {
	p := mustPath(t, "default", "ds1", model)
	if !pathPattern.MatchString(p) {
		t.Errorf("path %q is not one Check accepts", p)
	}
	same := map[string]string{
		"keys in another order":       `{"live":true,"maxDataPoints":500,"intervalMs":1000,"alias":"{{region}} <&>","payload":{"service":["a","b"],"region":"eu"},"target":"cpu","refId":"A"}`,
		"whitespace":                  strings.ReplaceAll(model, ",", ", \n\t"),
		"Go's escaping of <, > and &": strings.Replace(model, "<&>", `\u003c\u0026\u003e`, 1),
		"numbers written otherwise":   strings.Replace(strings.Replace(model, "1000", "1e3", 1), "500", "500.0", 1),
	}
	for name, m := range same {
		if mustPath(t, "default", "ds1", m) != p {
			t.Errorf("%s: another channel", name)
		}
	}
	other := map[string]struct {
		org string
		ds  string
		m   string
	}{
		"another org, same uid":  {"org-2", "ds1", model},
		"another data source":    {"default", "ds2", model},
		"another target":         {"default", "ds1", strings.Replace(model, `"cpu"`, `"mem"`, 1)},
		"another payload":        {"default", "ds1", strings.Replace(model, `"eu"`, `"us"`, 1)},
		"another alias":          {"default", "ds1", strings.Replace(model, `<&>`, ``, 1)},
		"another interval":       {"default", "ds1", strings.Replace(model, `1000`, `2000`, 1)},
		"another refId":          {"default", "ds1", strings.Replace(model, `"A"`, `"B"`, 1)},
		"a field more":           {"default", "ds1", strings.Replace(model, `{`, `{"format":"table",`, 1)},
		"a number as a string":   {"default", "ds1", strings.Replace(model, `1000`, `"1000"`, 1)},
		"org and uid run across": {"defaultd", "s1", model},
	}
	for name, o := range other {
		if mustPath(t, o.org, o.ds, o.m) == p {
			t.Errorf("%s kept the channel", name)
		}
	}
	long := `{"target":"cpu","payload":{"big":"` + strings.Repeat("x", models.MaxPayloadBytes-100) + `"}}`
	if len(Channel(strings.Repeat("u", 40), mustPath(t, "default", "ds1", long))) > 160 {
		t.Error("a long payload made a channel name longer than Grafana's 160 characters")
	}
	for _, bad := range []string{``, `[1]`, `"x"`, `{`} {
		if _, err := Path("default", "ds1", json.RawMessage(bad)); err == nil {
			t.Errorf("Path(%q) accepted what is not a JSON object", bad)
		}
	}
}

func TestCheck(t *testing.T) {
	p := mustPath(t, "default", "ds1", model)
	tests := []struct {
		name string
		org  string
		ds   string
		path string
		data string
		want error
	}{
		{"its own query", "default", "ds1", p, model, nil},
		{"its own query reformatted", "default", "ds1", p, strings.ReplaceAll(model, ",", ", "), nil},
		{"another query on the path", "default", "ds1", p, strings.Replace(model, `"cpu"`, `"mem"`, 1), ErrDataMismatch},
		{"another org's channel", "org-2", "ds1", p, model, ErrDataMismatch},
		{"another data source's channel", "default", "ds2", p, model, ErrDataMismatch},
		{"data that is not JSON", "default", "ds1", p, `{"target":`, ErrDataMismatch},
		{"no data", "default", "ds1", p, "", ErrNoData},
		{"not ours", "default", "ds1", "tail/xyz", model, ErrMalformedPath},
		{"too long", "default", "ds1", p + "x", model, ErrMalformedPath},
		{"empty", "default", "ds1", "", model, ErrMalformedPath},
		{"path traversal", "default", "ds1", "live/../../etc/passwd", model, ErrMalformedPath},
	}
	for _, tt := range tests {
		err := Check(tt.org, tt.ds, tt.path, json.RawMessage(tt.data))
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestQueryOf(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		model    string
		wantSpan time.Duration
		wantErr  string
	}{
		{"the relative range", `{"target":"cpu","live":true,"rangeRaw":{"from":"now-6h","to":"now"},"intervalMs":1000,"maxDataPoints":100}`, 6 * time.Hour, ""},
		{"today so far", `{"target":"cpu","live":true,"rangeRaw":{"from":"now/d","to":"now/d"},"intervalMs":1000,"maxDataPoints":100}`, 100 * time.Second, ""},
		{"interval times points", `{"target":"cpu","live":true,"intervalMs":2000,"maxDataPoints":300}`, 600 * time.Second, ""},
		{"neither", `{"target":"cpu","live":true}`, DefaultSpan, ""},
		{"an absolute range", `{"target":"cpu","live":true,"rangeRaw":{"from":"2026-12-07T10:00:00Z","to":"2026-12-07T11:00:00Z"}}`, DefaultSpan, ""},
		{"a range an hour ago", `{"target":"cpu","live":true,"rangeRaw":{"from":"now-2h","to":"now-1h"}}`, 0, "ends before now"},
		{"yesterday", `{"target":"cpu","live":true,"rangeRaw":{"from":"now-1d/d","to":"now-1d/d"}}`, 0, "ends before now"},
		{"no metric", `{"live":true}`, 0, "no metric selected"},
		{"not an object", `[]`, 0, "not a JSON object"},
	}
	for _, tt := range tests {
		q, err := QueryOf(json.RawMessage(tt.model), now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want one saying %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := q.To.Sub(q.From); got != tt.wantSpan || !q.To.Equal(now) {
			t.Errorf("%s: range %s..%s (%v), want %v up to now", tt.name, q.From, q.To, got, tt.wantSpan)
		}
		if q.RefID != "A" || q.Target != "cpu" || !q.Live {
			t.Errorf("%s: query %+v", tt.name, q)
		}
	}
	q, _ := QueryOf(json.RawMessage(`{"refId":"B","target":"cpu","intervalMs":2000,"maxDataPoints":300}`), now)
	if q.RefID != "B" || q.IntervalMs != 2000 || q.MaxDataPoints != 300 {
		t.Errorf("the model's refId and resolution: %+v", q)
	}
}

func TestRelative(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"now": 0, "now-6h": -6 * time.Hour, "now/d": 0, "now-1d/d": -24 * time.Hour, "now+5m": 5 * time.Minute, "now-1h-30m": -90 * time.Minute,
	} {
		if got, ok := relative(in); !ok || got != want {
			t.Errorf("relative(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "now-", "now-6", "now-6x", "now/2d", "2026-12-07", "then"} {
		if _, ok := relative(in); ok {
			t.Errorf("relative(%q) read a time", in)
		}
	}
}

// An org is named as Grafana's namespaces name it, from the namespace
// when the host sends one, else from the org id (Grafana 9 and 10).
func TestOrg(t *testing.T) {
	for _, tt := range []struct {
		pc   backend.PluginContext
		want string
	}{
		{backend.PluginContext{OrgID: 1}, "default"},
		{backend.PluginContext{OrgID: 2}, "org-2"},
		{backend.PluginContext{OrgID: 1, Namespace: "default"}, "default"},
		{backend.PluginContext{OrgID: 2, Namespace: "org-2"}, "org-2"},
		{backend.PluginContext{Namespace: "stacks-12"}, "stacks-12"},
	} {
		if got := Org(tt.pc); got != tt.want {
			t.Errorf("Org(%+v) = %q, want %q", tt.pc, got, tt.want)
		}
	}
}

// The live metadata survives the frame's trip through JSON.
func TestMetaOf(t *testing.T) {
	f := Answer(NewLayout("").Schema(), "A", Meta{Channel: "ds/u/live/x", Data: json.RawMessage(model)}, "POST /query")
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	back := new(data.Frame)
	if err := json.Unmarshal(b, back); err != nil {
		t.Fatal(err)
	}
	m, ok := MetaOf(back)
	if !ok || m.Channel != "ds/u/live/x" {
		t.Fatalf("MetaOf = %+v, %v", m, ok)
	}
	if a, b := mustPath(t, "default", "u", model), mustPath(t, "default", "u", string(m.Data)); a != b {
		t.Error("the data read back hashes to another channel")
	}
	if _, ok := MetaOf(NewLayout("").Schema()); ok {
		t.Error("a frame without live metadata has some")
	}
}

// Running holds a channel while one of its streams runs, shares it
// between them, and forgets it when the last ends.
func TestRunning(t *testing.T) {
	r := NewRunning()
	q := &models.Query{Target: "cpu"}
	a := r.Join("live/a", func() *Entry { return NewEntry("ds", "live/a", q, time.Time{}) })
	b := r.Join("live/a", func() *Entry { t.Error("a second stream of a running channel built a new entry"); return nil })
	if a != b || r.Len() != 1 {
		t.Fatalf("two streams of one channel: %p %p, %d held", a, b, r.Len())
	}
	r.Leave(a)
	if _, ok := r.Lookup("live/a"); !ok {
		t.Error("the channel was forgotten while a stream still runs")
	}
	r.Leave(b)
	if _, ok := r.Lookup("live/a"); ok || r.Len() != 0 {
		t.Error("the channel is held after its last stream ended")
	}
}
