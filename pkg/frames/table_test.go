package frames

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

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
