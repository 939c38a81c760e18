package decode

import (
	"reflect"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func TestDecodeFindValues(t *testing.T) {
	ab := []contract.FindValue{{Text: "A", Value: "a"}, {Text: "B", Value: "b"}}
	same := func(vs ...string) []contract.FindValue {
		out := []contract.FindValue{}
		for _, v := range vs {
			out = append(out, contract.FindValue{Text: v, Value: v})
		}
		return out
	}
	tests := []struct {
		name, body string
		want       []contract.FindValue
		wantErr    string
	}{
		{name: "empty body", body: ``, want: []contract.FindValue{}},
		{name: "null", body: `null`, want: []contract.FindValue{}},
		{name: "__text and __value (JSON datasource)", body: `[{"__text":"A","__value":"a"},{"__text":"B","__value":"b"}]`, want: ab},
		{name: "text and value (SimpleJSON)", body: `[{"text":"A","value":"a"},{"text":"B","value":"b"}]`, want: ab},
		{name: "numbers as values", body: `[{"__text":"one","__value":1},{"text":"two","value":2.5}]`, want: []contract.FindValue{{Text: "one", Value: "1"}, {Text: "two", Value: "2.5"}}},
		{name: "plain strings and numbers", body: `["eu-west", 7, true, null]`, want: same("eu-west", "7", "true")},
		{name: "tag keys {type, text}", body: `[{"type":"string","text":"region"}]`, want: same("region")},
		{name: "tag values {text}", body: `[{"text":"eu-west"},{"text":"us-east"}]`, want: same("eu-west", "us-east")},
		{name: "value only", body: `[{"value":"x"}]`, want: same("x")},
		{name: "empty options skipped", body: `["", {"text":""}]`, want: []contract.FindValue{}},
		{name: "frame with __text and __value", body: `[{"fields":[{"name":"__text","values":["A","B"]},{"name":"__value","values":["a","b"]}]}]`, want: ab},
		{name: "frame alone, text and value", body: `{"fields":[{"name":"value","values":["a","b"]},{"name":"text","values":["A","B"]}]}`, want: ab},
		{name: "frame with other fields: every value", body: `[{"fields":[{"name":"region","values":["eu","us"]},{"name":"n","values":[1,null]}]}]`, want: same("eu", "us", "1")},
		{name: "Grafana's frame JSON", body: `{"schema":{"fields":[{"name":"text"},{"name":"value"}]},"data":{"values":[["A","B"],["a","b"]]}}`, want: ab},
		{name: "mixed items", body: `["x",{"__text":"A","__value":"a"},{"fields":[{"name":"f","values":["y"]}]}]`, want: []contract.FindValue{{Text: "x", Value: "x"}, {Text: "A", Value: "a"}, {Text: "y", Value: "y"}}},
		{name: "not JSON", body: `ok`, wantErr: `not the contract's JSON`},
		{name: "object without options", body: `[{"label":"x"}]`, wantErr: `option 0 has none of "__text"`},
		{name: "nested list", body: `[["a"]]`, wantErr: `option 0 must be a string, a number or an object`},
		{name: "malformed frame", body: `[{"fields":"x"}]`, wantErr: `frame 0: a frame must be`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFindValues("POST /variable", []byte(tt.body))
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

// FuzzDecodeFindValues: any answer gives options or an error, never a
// panic, and no option is empty.
func FuzzDecodeFindValues(f *testing.F) {
	for _, s := range []string{
		`[{"__text":"A","__value":1},{"text":"B"},"c",7,true,null]`,
		`{"fields":[{"name":"text","values":["A",null]},{"name":"value","values":[1]}]}`,
		`[{"schema":{"fields":[{"name":"x"}]},"data":{"values":[["a"]]}}]`, `[{"fields":null}]`, `""`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		values, err := DecodeFindValues("POST /variable", body)
		if err != nil {
			return
		}
		for _, v := range values {
			if v.Text == "" || v.Value == "" {
				t.Fatalf("empty option %+v from %q", v, body)
			}
		}
	})
}
