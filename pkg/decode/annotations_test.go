package decode

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

const at = int64(1795903749000)

func TestDecodeAnnotations(t *testing.T) {
	deploy := contract.Annotation{Time: at, Title: "Deploy", Text: "v2", Tags: []string{"checkout", "eu"}}
	tests := []struct {
		name, body string
		want       []contract.Annotation
		wantErr    string
	}{
		{name: "empty", body: ``, want: []contract.Annotation{}},
		{name: "SimpleJSON answer", body: `[{"time":1795903749000,"title":"Deploy","text":"v2","tags":["checkout","eu"]}]`, want: []contract.Annotation{deploy}},
		{name: "float time, comma-separated tags", body: `[{"time":1795903749000.0,"title":"Deploy","text":"v2","tags":"checkout, eu"}]`, want: []contract.Annotation{deploy}},
		{name: "annotation echoed as an object", body: `[{"annotation":{"name":"x","enable":true},"time":1795903749000,"title":"Deploy","text":"v2","tags":["checkout","eu"]}]`, want: []contract.Annotation{deploy}},
		{name: "annotation echoed as a string", body: `[{"annotation":"x","time":"1795903749000","title":"Deploy","text":"v2","tags":["checkout","eu"]}]`, want: []contract.Annotation{deploy}},
		{name: "no title, no tags", body: `[{"time":1795903749000,"text":"v2"}]`, want: []contract.Annotation{{Time: at, Text: "v2", Tags: []string{}}}},
		{name: "region", body: `[{"time":1795903749000,"timeEnd":1795903809000,"text":"r","tags":null}]`, want: []contract.Annotation{{Time: at, TimeEnd: at + 60000, Text: "r", Tags: []string{}}}},
		{name: "RFC3339 time", body: `[{"time":"2026-11-28T22:09:09Z","text":"r"}]`, want: []contract.Annotation{{Time: at, Text: "r", Tags: []string{}}}},
		{name: "the same event twice", body: `[{"time":1795903749000,"title":"Deploy","text":"v2","tags":["checkout","eu"]},{"time":1795903749000.0,"title":"Deploy","text":"v2","tags":"checkout,eu"}]`, want: []contract.Annotation{deploy}},
		{name: "no time", body: `[{"title":"x"}]`, wantErr: `event 0: "time" is missing`},
		{name: "time not a time", body: `[{"time":"yesterday"}]`, wantErr: `event 0: time: want epoch milliseconds or an RFC3339 time, got "yesterday"`},
		{name: "time out of range", body: `[{"time":1e20}]`, wantErr: `not a time between the years 1678 and 2262`},
		{name: "tags of the wrong kind", body: `[{"time":1795903749000,"tags":{"a":1}}]`, wantErr: `tags must be a list`},
		{name: "not an array", body: `{"time":1}`, wantErr: `not the contract's JSON`},
		{name: "not an object", body: `[1795903749000]`, wantErr: `event 0 must be an object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAnnotations("POST /annotations", []byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeAnnotationTables(t *testing.T) {
	tests := []struct {
		name, body string
		want       []contract.Annotation
		wantErr    string
	}{
		{name: "table", body: `[{"type":"table","columns":[{"text":"Time","type":"time"},{"text":"timeEnd"},{"text":"title"},{"text":"text"},{"text":"tags"}],"rows":[[1795903749000,null,"Deploy","v2",["a","b"]],[1795903749000.0,1795903809000,"Incident","",["c"]]]}]`,
			want: []contract.Annotation{{Time: at, Title: "Deploy", Text: "v2", Tags: []string{"a", "b"}}, {Time: at, TimeEnd: at + 60000, Title: "Incident", Tags: []string{"c"}}}},
		{name: "bare column names, tags as a string", body: `[{"columns":["time","text","tags"],"rows":[["2026-11-28T22:09:09.000Z","t","x,y"]]}]`,
			want: []contract.Annotation{{Time: at, Text: "t", Tags: []string{"x", "y"}}}},
		{name: "frame", body: `[{"name":"events","fields":[{"name":"time","type":"time","values":[1795903749000]},{"name":"title","values":["T"]},{"name":"tags","values":[["a"]]}]}]`,
			want: []contract.Annotation{{Time: at, Title: "T", Text: "T", Tags: []string{"a"}}}},
		{name: "no text column: the first column of strings is the text, as in Grafana",
			body: `[{"columns":[{"text":"Time","type":"time"},{"text":"Number","type":"number"},{"text":"Country","type":"string"}],"rows":[[1795903749000,1,"SE"],[1795903749000,2,"DE"],[1795903749000,null,"US"]]}]`,
			want: []contract.Annotation{{Time: at, Text: "SE", Tags: []string{}}, {Time: at, Text: "DE", Tags: []string{}}, {Time: at, Text: "US", Tags: []string{}}}},
		{name: "string times are not the text", body: `[{"columns":["Time","Country"],"rows":[["2026-11-28T22:09:09.000Z",null],["2026-11-28T22:09:09.000Z","SE"]]}]`,
			want: []contract.Annotation{{Time: at, Tags: []string{}}, {Time: at, Text: "SE", Tags: []string{}}}},
		{name: "a text column wins over earlier strings", body: `[{"schema":{"fields":[{"name":"time"},{"name":"host"},{"name":"TEXT"},{"name":"id"}]},"data":{"values":[[1795903749000],["a"],["deployed"],[7]]}}]`,
			want: []contract.Annotation{{Time: at, ID: "7", Text: "deployed", Tags: []string{}}}},
		{name: "a table's text column wins; the columns no event reads are skipped", body: `[{"columns":["time","host","text","extra"],"rows":[[1795903749000,"web-1","deployed",{"deep":[1,2,3]}]]}]`,
			want: []contract.Annotation{{Time: at, Text: "deployed", Tags: []string{}}}},
		{name: "no column of strings: events without text, as in Grafana", body: `[{"columns":["time","Number"],"rows":[[1795903749000,1]]}]`,
			want: []contract.Annotation{{Time: at, Tags: []string{}}}},
		{name: "empty", body: `[]`, want: []contract.Annotation{}},
		{name: "time series", body: `[{"target":"x","datapoints":[[1,2]]}]`, wantErr: `item 0: it is a time series; an annotation query must answer a table or a frame with a "time" column`},
		{name: "no time column", body: `[{"columns":[{"text":"title"}],"rows":[["x"]]}]`, wantErr: `no "time" column`},
		{name: "short row: the missing cells are empty, as in a panel's table", body: `[{"columns":[{"text":"time"},{"text":"title"}],"rows":[[1795903749000]]}]`,
			want: []contract.Annotation{{Time: at, Tags: []string{}}}},
		{name: "Grafana's frame JSON, with its name in the schema", body: `[{"schema":{"name":"deploys","fields":[{"name":"time","type":"time"},{"name":"text","type":"string"}]},"data":{"values":[[1795903749000],["v2"]]}}]`,
			want: []contract.Annotation{{Time: at, Text: "v2", Tags: []string{}}}},
		{name: "neither a table nor a frame", body: `[{"target":"x"}]`, wantErr: `item 0: it has none of "columns" (table), "fields" or "schema" (frame), or "datapoints"`},
		{name: "more value lists than schema fields", body: `[{"schema":{"fields":[{"name":"time"}]},"data":{"values":[[1795903749000],["x"]]}}]`, wantErr: `item 0: "data" has 2 lists of values for the 1 fields "schema" declares`},
		{name: "bad time cell", body: `[{"columns":["time"],"rows":[[true]]}]`, wantErr: `item 0: row 0: time: want epoch milliseconds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAnnotationTables("POST /query", []byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzDecodeAnnotations: whatever a service answers, both annotation
// decoders return events or an error, never a panic, and every event has
// a time in range and a non-nil tag list.
func FuzzDecodeAnnotations(f *testing.F) {
	for _, s := range []string{
		`[{"time":1795903749000.0,"timeEnd":"1795903809000","title":"t","text":"x","tags":"a, b","annotation":"n"}]`,
		`[{"columns":["time","tags"],"rows":[[1795903749000,["a"]]]},{"fields":[{"name":"time","values":["2026-11-28T22:09:09Z"]}]}]`,
		`[{"schema":{"fields":[{"name":"time"}]},"data":{"values":[[1795903749000]]}}]`, `null`, `[null]`, `[{"time":1e400}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, decode := range []func(string, []byte) ([]contract.Annotation, error){DecodeAnnotations, DecodeAnnotationTables} {
			events, err := decode("POST /x", body)
			if err != nil {
				continue
			}
			for _, e := range events {
				if e.Time < minEventTime || e.Time > maxEventTime || e.Tags == nil {
					t.Fatalf("event %+v from %q", e, body)
				}
			}
		}
	})
}

// BenchmarkReadAnnotationTables reads a table of 10,000 events with five
// columns no event reads, which are skipped unread since a column is named
// text.
func BenchmarkReadAnnotationTables(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`[{"columns":[{"text":"time"},{"text":"text"},{"text":"a"},{"text":"b"},{"text":"c"},{"text":"d"},{"text":"e"}],"rows":[`)
	for i := range 10000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `[%d,"deploy %d",1.5,2.5,3.5,4.5,5.5]`, 1795903749000+int64(i)*1000, i)
	}
	sb.WriteString(`]}]`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeAnnotationTables("POST /query", body); err != nil {
			b.Fatal(err)
		}
	}
}
