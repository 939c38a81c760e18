package frames

import (
	"encoding/json"
	"math"
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
		// notices are fragments of the answer's notices, in order.
		notices []string
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
		{
			name:  "numeric strings, NaN and infinities in a number column",
			body:  `[{"columns":[{"text":"v","type":"float"}],"rows":[["1.5"],[" NaN "],["-Infinity"],[null],[2]]}]`,
			types: []data.FieldType{data.FieldTypeNullableFloat64},
			names: []string{"v"},
			rows:  5,
			checks: func(t *testing.T, tb *Table) {
				want := []*float64{ptr(1.5), ptr(math.NaN()), ptr(math.Inf(-1)), nil, ptr(2.0)}
				for i, w := range want {
					if got := tb.Fields[0].At(i).(*float64); !floatPtrEqual(got, w) {
						t.Errorf("row %d = %v, want %v", i, deref(got), deref(w))
					}
				}
			},
		},
		{
			name:  "a string column takes numbers, booleans, arrays and objects as text",
			body:  `[{"columns":[{"text":"s","type":"string"}],"rows":[[1.50],[true],[[1,"x",{"a":true}]],[{"k":[1]}],[null],[1e21],[""]]}]`,
			types: []data.FieldType{data.FieldTypeNullableString},
			names: []string{"s"},
			rows:  7,
			checks: func(t *testing.T, tb *Table) {
				want := []*string{ptr("1.5"), ptr("true"), ptr(`[1,"x",{"a":true}]`), ptr(`{"k":[1]}`), nil, ptr("1000000000000000000000"), ptr("")}
				for i, w := range want {
					got := tb.Fields[0].At(i).(*string)
					if (got == nil) != (w == nil) || (got != nil && *got != *w) {
						t.Errorf("row %d = %v, want %v", i, got, w)
					}
				}
			},
		},
		{
			name:  "time cells: epoch milliseconds as number or string, RFC3339",
			body:  `[{"columns":[{"text":"t","type":"Time"}],"rows":[[1000],["2000"],["1970-01-01T02:00:03+02:00"],[null],[1500.5]]}]`,
			types: []data.FieldType{data.FieldTypeNullableTime},
			names: []string{"t"},
			rows:  5,
			checks: func(t *testing.T, tb *Table) {
				want := []int64{1000e6, 2000e6, 3000e6, -1, 1500500000}
				for i, w := range want {
					got := tb.Fields[0].At(i).(*time.Time)
					if w < 0 {
						if got != nil {
							t.Errorf("row %d = %v, want null", i, got)
						}
						continue
					}
					if got == nil || got.UnixNano() != w || got.Location() != time.UTC {
						t.Errorf("row %d = %v, want %d ns UTC", i, got, w)
					}
				}
			},
		},
		{
			name:  "booleans, also from strings",
			body:  `[{"columns":[{"text":"b","type":"bool"}],"rows":[["true"],["0"],[false],[null]]}]`,
			types: []data.FieldType{data.FieldTypeNullableBool},
			names: []string{"b"},
			rows:  4,
			checks: func(t *testing.T, tb *Table) {
				for i, w := range []*bool{ptr(true), ptr(false), ptr(false), nil} {
					got := tb.Fields[0].At(i).(*bool)
					if (got == nil) != (w == nil) || (got != nil && *got != *w) {
						t.Errorf("row %d = %v, want %v", i, got, w)
					}
				}
			},
		},
		{
			name:  "an undeclared or unknown type is the first non-null cell's; a nameless column is numbered",
			body:  `[{"columns":["a",{"text":"b","type":"weird"},{"text":"c"},{"type":"number"},"e"],"rows":[[null,null,null,null,null],[1,true,"x",1,null],[2,false,3,2,null]]}]`,
			types: []data.FieldType{data.FieldTypeNullableFloat64, data.FieldTypeNullableBool, data.FieldTypeNullableString, data.FieldTypeNullableFloat64, data.FieldTypeNullableString},
			names: []string{"a", "b", "c", "Column 4", "e"},
			rows:  3,
			checks: func(t *testing.T, tb *Table) {
				if got := tb.Fields[2].At(2).(*string); got == nil || *got != "3" {
					t.Errorf("number in an inferred string column = %v, want 3", got)
				}
			},
		},
		{
			name:    "short rows get nulls, long rows are cut, with notices",
			body:    `[{"columns":["a","b"],"rows":[[1],[1,2,[3,{"x":4}]],[1,2],[]]}]`,
			types:   []data.FieldType{data.FieldTypeNullableFloat64, data.FieldTypeNullableFloat64},
			names:   []string{"a", "b"},
			rows:    4,
			notices: []string{"item 0: 2 rows have fewer cells than the 2 columns", "item 0: 1 rows have more cells than the 2 columns"},
			checks: func(t *testing.T, tb *Table) {
				if tb.Fields[1].At(0).(*float64) != nil || tb.Fields[0].At(3).(*float64) != nil || *tb.Fields[1].At(1).(*float64) != 2 {
					t.Errorf("cells wrong")
				}
			},
		},
		{
			name:  "a second \"rows\" replaces the first",
			body:  `[{"columns":["a"],"rows":[[1],[2]],"rows":[["x"]]}]`,
			types: []data.FieldType{data.FieldTypeNullableString},
			names: []string{"a"},
			rows:  1,
		},
		{
			name:  "a table without rows",
			body:  `[{"type":"table","columns":[{"text":"t","type":"time"},"u"]}]`,
			types: []data.FieldType{data.FieldTypeNullableTime, data.FieldTypeNullableString},
			names: []string{"t", "u"},
			rows:  0,
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
			if len(tb.Fields) != len(tt.types) {
				t.Fatalf("got %d fields, want %d", len(tb.Fields), len(tt.types))
			}
			if len(a.Notices) != len(tt.notices) {
				t.Errorf("notices %q, want %q", a.Notices, tt.notices)
			}
			for i, n := range tt.notices {
				if i < len(a.Notices) && !strings.Contains(a.Notices[i], n) {
					t.Errorf("notice %q, want %q", a.Notices[i], n)
				}
			}
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

// Rows typed as they stream (after "columns") and rows held until the
// columns come decode to the same frames, notices and errors.
func TestTableKeyOrder(t *testing.T) {
	tests := []struct{ name, columns, rows string }{
		{"declared types", `[{"text":"t","type":"time"},{"text":"v","type":"number"},{"text":"s","type":"string"},{"text":"b","type":"boolean"}]`, `[[1000,"1.5",2,"true"],["1970-01-01T00:00:02Z",null,true,false],[null,"NaN",[1,{"a":"b"}],null]]`},
		{"inferred types", `["a","b","c","d"]`, `[[null,null,null,null],[1,true,"x",[1]],[2,false,3,{}]]`},
		{"short and long rows", `["a","b","c"]`, `[[1],[1,2,3,4,5],[],[1,2,3]]`},
		{"no rows", `["a",{"text":"b","type":"number"}]`, `[]`},
		{"bad cells: the first column with one is named, then its first row", `[{"text":"a","type":"number"},{"text":"b","type":"time"},{"text":"c","type":"bool"}]`, `[[1,"yesterday","x"],["y",1,true],["z",2,false]]`},
		{"a bad cell after good ones", `[{"text":"a","type":"bool"}]`, `[[true],[false],[2]]`},
		{"a time out of range", `[{"text":"t","type":"time"}]`, `[[1e300]]`},
		{"a row that is not an array", `["a"]`, `[[1],{"a":1}]`},
		{"a number out of range is Inf", `["a"]`, `[[1],[1e999],[-1e999]]`},
		{"rows without columns", `[]`, `[[1],[2]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := decodeText(`[{"columns":` + tt.columns + `,"rows":` + tt.rows + `}]`)
			held := decodeText(`[{"rows":` + tt.rows + `,"columns":` + tt.columns + `}]`)
			if first != held {
				t.Errorf("columns first:\n%s\nrows first:\n%s", first, held)
			}
		})
	}
}

func TestTableColumnsTwice(t *testing.T) {
	tests := []struct {
		name, body, err string
	}{
		{"the same columns again", `[{"columns":["a"],"rows":[[1]],"columns":["a"]}]`, ""},
		{"other columns after rows", `[{"columns":["a"],"rows":[[1]],"columns":["a","b"]}]`, `item 0: columns: "columns" comes again after "rows", with other columns`},
		{"other columns before rows: the last wins", `[{"columns":["a"],"columns":["a","b"],"rows":[[1,2]]}]`, ""},
		{"rows held for the last columns", `[{"rows":[[1,2]],"columns":["a"],"columns":["a","b"]}]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.body), 0)
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}

// decodeText is everything a decode gives, as text to compare.
func decodeText(body string) string {
	a, err := Decode(strings.NewReader(body), 0)
	if err != nil {
		return "error: " + err.Error()
	}
	frames, err := a.Frames(Options{})
	if err != nil {
		return "frames error: " + err.Error()
	}
	b, err := json.Marshal(frames)
	if err != nil {
		return "json error: " + err.Error()
	}
	return string(b) + "\nnotices: " + strings.Join(a.Notices, "; ")
}

func ptr[T any](v T) *T { return &v }
