package frames

import (
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

func TestDecodeFrameItems(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		series int
		types  []data.FieldType // of the table, if one
		check  func(t *testing.T, a *Answer)
	}{
		{
			name:   "a time field and number fields are series",
			body:   `[{"fields":[{"name":"t","type":"time","values":[1000,"2000"]},{"name":"a","values":[1,"2"]},{"name":"b","values":[null,3]}]}]`,
			series: 2,
		},
		{
			name:  "a null time makes a table",
			body:  `[{"fields":[{"name":"t","type":"time","values":[1000,null]},{"name":"a","values":[1,2]}]}]`,
			types: []data.FieldType{data.FieldTypeNullableTime, data.FieldTypeNullableFloat64},
		},
		{
			name:  "values of every kind, typed by the first non-null",
			body:  `[{"fields":[{"name":"s","values":[null,"a",[1,"<b>"],{"x":2,"y":{"z":[true]}},true,1.5]},{"name":"b","values":[null,true,"false",null,false,"1"]}],"name":"f"}]`,
			types: []data.FieldType{data.FieldTypeNullableString, data.FieldTypeNullableBool},
			check: func(t *testing.T, a *Answer) {
				f := a.Tables[0].Fields[0]
				var got []string
				for i := range f.Len() {
					if p := f.At(i).(*string); p != nil {
						got = append(got, *p)
					} else {
						got = append(got, "<nil>")
					}
				}
				if strings.Join(got, "|") != `<nil>|a|[1,"<b>"]|{"x":2,"y":{"z":[true]}}|true|1.5` || a.Tables[0].Name != "f" {
					t.Errorf("cells %q of table %q", got, a.Tables[0].Name)
				}
			},
		},
		{
			name:   "Grafana's frame JSON: a time field and a number field are a series",
			body:   `[{"schema":{"name":"cpu","fields":[{"name":"Time","type":"time"},{"name":"cpu","type":"number","labels":{"host":"a"}}]},"data":{"values":[[1000,2000],[0.5,0.7]]}}]`,
			series: 1,
			check: func(t *testing.T, a *Answer) {
				if s := a.Series[0]; s.Name != "cpu" || s.Labels["host"] != "a" || s.Time.Len() != 2 {
					t.Errorf("series %q %v with %d points", s.Name, s.Labels, s.Time.Len())
				}
			},
		},
		{
			name:  "Grafana's frame JSON, data before schema: a table named by the schema",
			body:  `[{"data":{"values":[["eu","us"],[3,4]]},"schema":{"name":"regions","fields":[{"name":"region"},{"name":"n","type":"number"}]}}]`,
			types: []data.FieldType{data.FieldTypeNullableString, data.FieldTypeNullableFloat64},
			check: func(t *testing.T, a *Answer) {
				if a.Tables[0].Name != "regions" || a.Tables[0].Fields[1].Len() != 2 {
					t.Errorf("table %q with %d rows", a.Tables[0].Name, a.Tables[0].Fields[1].Len())
				}
			},
		},
		{
			name:  "null values are none; labels are kept",
			body:  `[{"fields":[{"name":"a","values":[1],"values":null,"labels":{"k":"v"}},{"name":"b","values":[]}]}]`,
			types: []data.FieldType{data.FieldTypeNullableString, data.FieldTypeNullableString},
			check: func(t *testing.T, a *Answer) {
				if a.Tables[0].Fields[0].Labels["k"] != "v" || a.Tables[0].Fields[0].Len() != 0 {
					t.Errorf("field %+v", a.Tables[0].Fields[0])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Series) != tt.series {
				t.Fatalf("%d series, want %d", len(a.Series), tt.series)
			}
			if (len(a.Tables) == 1) != (tt.types != nil) {
				t.Fatalf("%d tables", len(a.Tables))
			}
			for i, typ := range tt.types {
				if got := a.Tables[0].Fields[i].Type(); got != typ {
					t.Errorf("field %d is %s, want %s", i, got, typ)
				}
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}
