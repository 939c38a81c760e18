package frames

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

func TestDecodeSeries(t *testing.T) {
	type point struct {
		ms  int64
		val *float64
	}
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name    string
		body    string
		series  []string
		points  [][]point // per series
		labels  []data.Labels
		notices int
	}{
		{name: "empty body", body: ""},
		{name: "whitespace body", body: "  \n"},
		{name: "null", body: "null"},
		{name: "empty array", body: "[]"},
		{
			name:   "plain series",
			body:   `[{"target":"cpu","datapoints":[[1.5,1000],[2,2000]]}]`,
			series: []string{"cpu"},
			points: [][]point{{{1000, f(1.5)}, {2000, f(2)}}},
		},
		{
			name:   "keys in any order, tags, extra fields, refId ignored",
			body:   `[{"datapoints":[[3,1000]],"extra":{"a":[1,2]},"tags":{"host":"a","n":3},"refId":"X","target":"m"}]`,
			series: []string{"m"},
			points: [][]point{{{1000, f(3)}}},
			labels: []data.Labels{{"host": "a", "n": "3"}},
		},
		{
			name:   "numeric strings, null, NaN and Inf strings, float timestamps",
			body:   `[{"target":"s","datapoints":[["4.5",1000.0],[null,2000],["NaN",3000.5],["-Infinity","4000"]]}]`,
			series: []string{"s"},
			points: [][]point{{{1000, f(4.5)}, {2000, nil}, {3000, f(math.NaN())}, {4000, f(math.Inf(-1))}}},
		},
		{
			name:    "unsorted points are sorted, duplicates noticed",
			body:    `[{"target":"u","datapoints":[[3,3000],[1,1000],[2,2000],[22,2000]]}]`,
			series:  []string{"u"},
			points:  [][]point{{{1000, f(1)}, {2000, f(2)}, {2000, f(22)}, {3000, f(3)}}},
			notices: 2,
		},
		{
			name:   "extra elements in a point are ignored",
			body:   `[{"target":"e","datapoints":[[1,1000,"x"]]}]`,
			series: []string{"e"},
			points: [][]point{{{1000, f(1)}}},
		},
		{
			name:   "frame shaped item becomes one series per number field",
			body:   `[{"name":"fr","fields":[{"name":"time","type":"time","values":[2000,1000]},{"name":"a","type":"number","values":[2,1],"labels":{"k":"v"}},{"name":"b","type":"number","values":[null,"5"]}]}]`,
			series: []string{"a", "b"},
			points: [][]point{{{1000, f(1)}, {2000, f(2)}}, {{1000, f(5)}, {2000, nil}}},
			labels: []data.Labels{{"k": "v"}, nil},
			// both series were unsorted
			notices: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 0)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(a.Series) != len(tt.series) {
				t.Fatalf("got %d series, want %d", len(a.Series), len(tt.series))
			}
			for i, s := range a.Series {
				if s.Name != tt.series[i] {
					t.Errorf("series %d name %q, want %q", i, s.Name, tt.series[i])
				}
				if tt.labels != nil && !labelsEqual(s.Labels, tt.labels[i]) {
					t.Errorf("series %d labels %v, want %v", i, s.Labels, tt.labels[i])
				}
				want := tt.points[i]
				if s.Time.Len() != len(want) || s.Value.Len() != len(want) {
					t.Fatalf("series %d has %d points, want %d", i, s.Time.Len(), len(want))
				}
				for p, w := range want {
					gotT := s.Time.At(p).(time.Time)
					if gotT.UnixMilli() != w.ms {
						t.Errorf("point %d time %d, want %d", p, gotT.UnixMilli(), w.ms)
					}
					var gotV *float64
					if v, ok := s.ValueAt(p); ok {
						gotV = &v
					}
					if !floatPtrEqual(gotV, w.val) {
						t.Errorf("point %d value %v, want %v", p, deref(gotV), deref(w.val))
					}
				}
			}
			if len(a.Notices) != tt.notices {
				t.Errorf("notices %q, want %d", a.Notices, tt.notices)
			}
		})
	}
}

func TestDecodeTables(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		types  []data.FieldType
		names  []string
		rows   int
		checks func(t *testing.T, tb *Table)
	}{
		{
			name:  "typed table",
			body:  `[{"type":"table","columns":[{"text":"Time","type":"time"},{"text":"host","type":"string"},{"text":"v","type":"number"},{"text":"up","type":"boolean"}],"rows":[[1000,"a",1.5,true],["1970-01-01T00:00:02Z","b","2",false]]}]`,
			types: []data.FieldType{data.FieldTypeNullableTime, data.FieldTypeNullableString, data.FieldTypeNullableFloat64, data.FieldTypeNullableBool},
			names: []string{"Time", "host", "v", "up"},
			rows:  2,
			checks: func(t *testing.T, tb *Table) {
				if got := tb.Fields[0].At(1).(*time.Time).UnixMilli(); got != 2000 {
					t.Errorf("RFC3339 cell = %d ms, want 2000", got)
				}
				if got := *tb.Fields[2].At(1).(*float64); got != 2 {
					t.Errorf("numeric string cell = %v, want 2", got)
				}
			},
		},
		{
			name:  "table recognised by columns without type, types inferred, rows before columns",
			body:  `[{"rows":[[1,"x",null],[2,"y",true]],"columns":[{"text":"n"},{"text":"s"},{"text":"b"}]}]`,
			types: []data.FieldType{data.FieldTypeNullableFloat64, data.FieldTypeNullableString, data.FieldTypeNullableBool},
			names: []string{"n", "s", "b"},
			rows:  2,
		},
		{
			name:  "frame shaped item with a string field becomes a table",
			body:  `[{"fields":[{"name":"host","values":["a","b"]},{"name":"v","type":"number","values":[1,2]}]}]`,
			types: []data.FieldType{data.FieldTypeNullableString, data.FieldTypeNullableFloat64},
			names: []string{"host", "v"},
			rows:  2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 0)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(a.Tables) != 1 {
				t.Fatalf("got %d tables, want 1", len(a.Tables))
			}
			tb := a.Tables[0]
			for i, f := range tb.Fields {
				if f.Type() != tt.types[i] || f.Name != tt.names[i] || f.Len() != tt.rows {
					t.Errorf("field %d = %s %s (%d rows), want %s %s (%d)", i, f.Name, f.Type(), f.Len(), tt.names[i], tt.types[i], tt.rows)
				}
			}
			if tt.checks != nil {
				tt.checks(t, tb)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // fragments of the message
	}{
		{"plain ok", "ok", []string{"not a JSON array", `"ok"`}},
		{"html", "<html><body>Hello</body></html>", []string{"not a JSON array", "<html>"}},
		{"object instead of array", `{"data":[]}`, []string{"not a JSON array"}},
		{"truncated", `[{"target":"a","datapoints":[[1,10`, []string{"truncated"}},
		{"item not an object", `[1]`, []string{"item 0", "want an object"}},
		{"unknown shape", `[{"foo":1}]`, []string{"item 0", `"datapoints"`}},
		{"value is a bool", `[{"target":"a","datapoints":[[true,1000]]}]`, []string{`item 0 ("a")`, "point 0", "value", "want a number, got a boolean"}},
		{"value is junk string", `[{"target":"a","datapoints":[["abc",1000]]}]`, []string{"point 0: value", `"abc"`}},
		{"timestamp null", `[{"target":"a","datapoints":[[1,null]]}]`, []string{"point 0: timestamp", "null"}},
		{"timestamp missing", `[{"target":"a","datapoints":[[1]]}]`, []string{"timestamp is missing"}},
		{"timestamp out of range", `[{"target":"a","datapoints":[[1,1e300]]}]`, []string{"timestamp", "1678"}},
		{"datapoints not array", `[{"target":"a","datapoints":{}}]`, []string{"datapoints", "want an array, got an object"}},
		{"malformed", `[{"target":"a",,}]`, []string{"malformed JSON"}},
		{"table bad number", `[{"columns":[{"text":"v","type":"number"}],"rows":[["x"]]}]`, []string{"table 0", `column "v"`, "row 0", `"x"`}},
		{"table bad time", `[{"columns":[{"text":"t","type":"time"}],"rows":[["yesterday"]]}]`, []string{"RFC3339", "yesterday"}},
		{"frame fields of different length", `[{"fields":[{"name":"a","values":[1]},{"name":"b","values":[1,2]}]}]`, []string{"frame 0", "same number of values"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.body), 0)
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("error %T is not a *DecodeError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A reader error (size limit, reset, timeout) must stay matchable so the
// client can report the real cause rather than "malformed JSON".
func TestDecodeKeepsReaderErrors(t *testing.T) {
	boom := errors.New("connection reset by peer")
	r := io.MultiReader(strings.NewReader(`[{"target":"a","datapoints":[[1,1000],`), errReader{boom})
	_, err := Decode(r, 0)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the reader's error", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

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

func labelsEqual(a, b data.Labels) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func floatPtrEqual(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b || (math.IsNaN(*a) && math.IsNaN(*b))
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestRedact(t *testing.T) {
	body := `[{"target":"a TOKEN","tags":{"k":"TOKEN"},"datapoints":[[1,1000]]},{"columns":[{"text":"TOKEN col"},{"text":"n"}],"rows":[["x TOKEN",1],[null,2]]}]`
	a, err := Decode(strings.NewReader(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Redact(func(s string) string { return strings.ReplaceAll(s, "TOKEN", "[redacted]") })
	frames, err := a.Frames(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(frames)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "TOKEN") || strings.Count(string(b), "[redacted]") < 4 {
		t.Errorf("not redacted: %s", b)
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

// A huge maxDataPoints must not make the decoder allocate for it.
func TestDecodeHugeSizeHint(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Decode(strings.NewReader(`[{"target":"a","datapoints":[[1,1000]]}]`), math.MaxInt32); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Errorf("allocated %d MB for a one-point answer", grown>>20)
	}
}

// stuckReader returns nothing, and no error, for ever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestDecodeGivesUpOnAReaderThatMakesNoProgress(t *testing.T) {
	_, err := Decode(io.MultiReader(strings.NewReader(`[{"target":"a","datapoints":[[1,`), stuckReader{}), 0)
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}
