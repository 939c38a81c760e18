package frames

import (
	"errors"
	"strings"
	"testing"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

func TestFramesAreDataplaneValid(t *testing.T) {
	body := `[{"target":"cpu","tags":{"host":"a"},"datapoints":[[1,1000],[null,2000]]},{"target":"cpu","tags":{"host":"b"},"datapoints":[[3,1000]]}]`
	a, err := Decode(strings.NewReader(body), 10)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := a.Frames(Options{Alias: "{{host}} load", ExecutedQuery: "POST /query", MaxDataPoints: 10, ForAlerting: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 {
		t.Fatalf("got %d frames", len(frames))
	}
	r, err := timeseries.CollectionReaderFromFrames(frames)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.GetCollection(true)
	if err != nil {
		t.Fatalf("not a valid timeseries collection: %v", err)
	}
	if len(c.Refs) != 2 || c.Refs[1].GetLabels()["host"] != "b" {
		t.Errorf("unexpected collection %+v", c.Refs)
	}
	if got := frames[0].Fields[1].Config.DisplayNameFromDS; got != "a load" {
		t.Errorf("alias = %q", got)
	}
	if frames[0].Meta.ExecutedQueryString != "POST /query" {
		t.Errorf("executed query string missing")
	}
	// The executed query and notices are on the first frame only.
	if m := frames[1].Meta; m.ExecutedQueryString != "" || len(m.Notices) != 0 || m == frames[0].Meta {
		t.Errorf("second frame's meta %+v is or repeats the first's", m)
	}

	empty, _ := Decode(strings.NewReader("[]"), 0)
	frames, _ = empty.Frames(Options{})
	r, err = timeseries.CollectionReaderFromFrames(frames)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := r.GetCollection(true); err != nil || !c.NoData() {
		t.Errorf("empty answer is not a no-data collection: %v %v", c, err)
	}

	table, _ := Decode(strings.NewReader(`[{"columns":[{"text":"a"}],"rows":[[1]]}]`), 0)
	if _, err := table.Frames(Options{ForAlerting: true}); !errors.Is(err, ErrTableInAlert) {
		t.Errorf("table in alert: err = %v", err)
	}
}

func TestExpandAlias(t *testing.T) {
	l := data.Labels{"host": "a", "dc": "eu"}
	for alias, want := range map[string]string{
		"plain":                  "plain",
		"{{host}}":               "a",
		"{{ host }}/{{dc}}":      "a/eu",
		"{{target}} on {{host}}": "cpu on a",
		"{{missing}}x":           "x",
	} {
		if got := ExpandAlias(alias, "cpu", l); got != want {
			t.Errorf("ExpandAlias(%q) = %q, want %q", alias, got, want)
		}
	}
}

func TestSeriesAsLongTable(t *testing.T) {
	body := `[{"target":"cpu","tags":{"host":"a"},"datapoints":[[1,1000],[null,2000]]},{"target":"cpu","tags":{"host":"b","dc":"eu"},"datapoints":[[3,1000]]}]`
	a, err := Decode(strings.NewReader(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := a.Frames(Options{AsTable: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 || frames[0].Meta.Type != data.FrameTypeTable {
		t.Fatalf("want one table frame, got %d", len(frames))
	}
	f := frames[0]
	var names []string
	for _, fld := range f.Fields {
		names = append(names, fld.Name)
	}
	if got := strings.Join(names, ","); got != "Time,Metric,dc,host,Value" {
		t.Errorf("columns %s", got)
	}
	if rows, _ := f.RowLen(); rows != 3 {
		t.Errorf("%d rows", rows)
	}
	if f.Fields[3].At(2).(string) != "b" || f.Fields[2].At(0).(string) != "" || f.Fields[4].At(1).(*float64) != nil {
		t.Errorf("cells wrong")
	}
}
