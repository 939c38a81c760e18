package frames

import (
	"errors"
	"fmt"
	"slices"
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

// TestAliasNamesAreBounded: the names an alias gives one answer's series
// are bounded all together (MaxDisplayNameBytes); past the bound the
// series keep their own names and a notice says why, in every layout.
func TestAliasNamesAreBounded(t *testing.T) {
	answer := func(n int, tag string) *Answer {
		var b strings.Builder
		b.WriteByte('[')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"target":"cpu","tags":{"pod":"%s%d"},"datapoints":[[1,1000]]}`, tag, i)
		}
		b.WriteByte(']')
		a, err := Decode(strings.NewReader(b.String()), 0)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	mb := strings.Repeat("p", 1<<20)
	tests := []struct {
		name     string
		answer   *Answer
		alias    string
		wide     bool
		expanded bool
	}{
		{"a long tag in few series fits", answer(10, mb), "{{pod}}", false, true},
		{"a long tag in many series", answer(17, mb), "{{pod}}", false, false},
		{"a short alias that repeats a long tag", answer(2, mb), strings.Repeat("{{pod}}", 9), false, false},
		{"the same, wide", answer(2, mb), strings.Repeat("{{pod}}", 9), true, false},
		{"a 1 KB alias over 17,000 series", answer(17_000, ""), strings.Repeat("a", 1<<10), false, false},
		{"a 1 KB alias over 10,000 series fits", answer(10_000, ""), strings.Repeat("a", 1<<10), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, err := tt.answer.Frames(Options{Alias: tt.alias, Wide: tt.wide})
			if err != nil {
				t.Fatal(err)
			}
			named, notice := 0, false
			for _, f := range frames {
				for _, fld := range f.Fields {
					if fld.Config != nil && fld.Config.DisplayNameFromDS != "" {
						named++
					}
				}
				if f.Meta != nil {
					for _, n := range f.Meta.Notices {
						notice = notice || strings.Contains(n.Text, "the alias (legend) would give the")
					}
				}
			}
			if tt.expanded && (named != len(tt.answer.Series) || notice) {
				t.Errorf("%d of %d series named by the alias, notice %v; want all, no notice", named, len(tt.answer.Series), notice)
			}
			if !tt.expanded && (named != 0 || !notice) {
				t.Errorf("%d series named by the alias, notice %v; want none and a notice", named, notice)
			}
		})
	}
}

// The notice for series the service did not aggregate counts them in
// words that agree with the count.
func TestTooManyPointsNotice(t *testing.T) {
	tests := []struct {
		name, body string
		want       string
	}{
		{name: "one series", body: `[{"target":"a","datapoints":[[1,1000],[2,2000],[3,3000]]},{"target":"b","datapoints":[[1,1000]]}]`,
			want: "1 series has more than twice the 1 points"},
		{name: "two series", body: `[{"target":"a","datapoints":[[1,1000],[2,2000],[3,3000]]},{"target":"b","datapoints":[[1,1000],[2,2000],[3,3000]]}]`,
			want: "2 series have more than twice the 1 points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 10)
			if err != nil {
				t.Fatal(err)
			}
			frames, err := a.Frames(Options{MaxDataPoints: 1})
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, n := range frames[0].Meta.Notices {
				texts = append(texts, n.Text)
			}
			if !slices.ContainsFunc(texts, func(s string) bool { return strings.HasPrefix(s, tt.want) }) {
				t.Errorf("notices %q, want one starting %q", texts, tt.want)
			}
		})
	}
}
