package frames

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

// readItems reads a top-level array of items with an ItemReader, as the
// annotation and variable readers do.
func readItems(t *testing.T, body string, lim ItemLimits) ([]Item, error) {
	t.Helper()
	s := jsonscan.NewScanner(strings.NewReader(body), nil)
	if tok, err := s.ReadToken(); err != nil || tok.Kind() != '[' {
		t.Fatalf("body %q: %v", body, err)
	}
	r := NewItemReader(s, lim)
	var items []Item
	for s.PeekKind() != ']' {
		it, err := r.Read(nil)
		if err != nil {
			return items, err
		}
		items = append(items, it)
	}
	return items, nil
}

// TestItemReaderReadsWhatDecodeReads: every table and frame shape reads
// to the same names and rows through Decode (a panel's query) and through
// ItemReader (an annotation query, variable options), since both are the
// one reader of items.go, table.go and framefields.go. ItemReader keeps
// each cell's JSON.
func TestItemReaderReadsWhatDecodeReads(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		names []string
		cells [][]string // ItemReader's, by column; "" for null or missing
	}{
		{"table", `[{"columns":[{"text":"time","type":"time"},"text"],"rows":[[1000,"a"],[2000,"b"]]}]`,
			[]string{"time", "text"}, [][]string{{"1000", "2000"}, {`"a"`, `"b"`}}},
		{"rows before columns, a short row", `[{"rows":[[1000,"a"],[2000]],"columns":["time","text"]}]`,
			[]string{"time", "text"}, [][]string{{"1000", "2000"}, {`"a"`, ""}}},
		{"a long row's extra cells are dropped", `[{"columns":["time"],"rows":[[1000,"x",{"y":1}]]}]`,
			[]string{"time"}, [][]string{{"1000"}}},
		{"frame", `[{"fields":[{"name":"time","values":["2026-11-28T22:09:09Z"]},{"name":"tags","values":[["a","b"]]}]}]`,
			[]string{"time", "tags"}, [][]string{{`"2026-11-28T22:09:09Z"`}, {`["a","b"]`}}},
		{"Grafana's frame JSON", `[{"schema":{"fields":[{"name":"time","type":"time"},{"name":"text","type":"string"}]},"data":{"values":[[1000],["v2"]]}}]`,
			[]string{"time", "text"}, [][]string{{"1000"}, {`"v2"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode(strings.NewReader(tt.body), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Tables) != 1 {
				t.Fatalf("Decode: %d tables, %d series", len(a.Tables), len(a.Series))
			}
			var names []string
			for _, f := range a.Tables[0].Fields {
				names = append(names, f.Name)
				if f.Len() != len(tt.cells[0]) {
					t.Errorf("Decode: field %q has %d rows, want %d", f.Name, f.Len(), len(tt.cells[0]))
				}
			}
			if !reflect.DeepEqual(names, tt.names) {
				t.Errorf("Decode: names %q, want %q", names, tt.names)
			}

			items, err := readItems(t, tt.body, ItemLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Table == nil {
				t.Fatalf("ItemReader: %+v", items)
			}
			tb := items[0].Table
			var cells [][]string
			for _, col := range tb.Columns {
				var c []string
				for _, raw := range col {
					c = append(c, string(raw))
				}
				cells = append(cells, c)
			}
			if !reflect.DeepEqual(tb.Names, tt.names) || !reflect.DeepEqual(cells, tt.cells) {
				t.Errorf("ItemReader: %q %q, want %q %q", tb.Names, cells, tt.names, tt.cells)
			}
		})
	}
}

func TestItemReaderLimitsAndOtherMembers(t *testing.T) {
	lim := func(n int) contract.Limit { return contract.Limit{Max: n} }
	tests := []struct {
		name     string
		body     string
		lim      ItemLimits
		wantWhat string // the limit crossed, or ""
	}{
		{"rows count as they stream", `[{"columns":["time"],"rows":[[1],[2],[3]]}]`, ItemLimits{Rows: lim(2), RowsWhat: "events"}, "events"},
		{"a frame's rows count at its end", `[{"fields":[{"name":"time","values":[1,2,3]}]}]`, ItemLimits{Rows: lim(2), RowsWhat: "events"}, "events"},
		{"rows across items", `[{"columns":["t"],"rows":[[1]]},{"columns":["t"],"rows":[[2],[3]]}]`, ItemLimits{Rows: lim(2), RowsWhat: "events"}, "events"},
		{"cells, worded by the caller", `[{"fields":[{"name":"v","values":["a","b","c"]}]}]`, ItemLimits{Cells: lim(2), CellsWhat: "options"}, "options"},
		{"an endless row's extra cells count", `[{"columns":["t"],"rows":[[1,2,3,4,5]]}]`, ItemLimits{Cells: lim(3), CellsWhat: "table cells"}, "table cells"},
		{"one cell's bytes", `[{"columns":["t"],"rows":[[["aaaa","bbbb"]]]}]`, ItemLimits{CellBytes: lim(8)}, "bytes in one value"},
		{"within every limit", `[{"columns":["t"],"rows":[[1],[2]]}]`, ItemLimits{Rows: lim(2), RowsWhat: "events", Cells: lim(4), CellsWhat: "cells"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readItems(t, tt.body, tt.lim)
			var le *LimitError
			switch {
			case tt.wantWhat == "" && err != nil:
				t.Fatal(err)
			case tt.wantWhat != "" && (!errors.As(err, &le) || le.What != tt.wantWhat):
				t.Fatalf("error %v, want a limit on %s", err, tt.wantWhat)
			}
		})
	}

	// Members that are not a table's or frame's go to the caller, which
	// reads them from the same scanner; a series is skipped and told.
	s := jsonscan.NewScanner(strings.NewReader(`{"text":"A","__value":"a","datapoints":[[1,2]]}`), nil)
	got := map[string]string{}
	it, err := NewItemReader(s, ItemLimits{}).Read(func(name string) (bool, error) {
		v, err := s.ReadValue()
		got[name] = string(v)
		return true, err
	})
	if err != nil || it.Table != nil || !it.Series || it.TableOrFrame {
		t.Fatalf("item %+v, %v", it, err)
	}
	if want := map[string]string{"text": `"A"`, "__value": `"a"`}; !reflect.DeepEqual(got, want) {
		t.Errorf("other members %v, want %v", got, want)
	}

	// Columns the caller skips are left unread, as nulls, when "columns"
	// comes first; rows that came before "columns" are kept whole.
	for _, tt := range []struct{ body, want string }{
		{`{"columns":["time","x"],"rows":[[1,{"deep":[1,2]}],[2,"y"]]}`, `[["1","2"],["",""]]`},
		{`{"rows":[[1,"y"]],"columns":["time","x"]}`, `[["1"],["\"y\""]]`},
	} {
		r := NewItemReader(jsonscan.NewScanner(strings.NewReader(tt.body), nil), ItemLimits{})
		r.SkipColumns(func(names []string) []bool { return []bool{false, names[1] == "x"} })
		it, err := r.Read(nil)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for _, col := range it.Table.Columns {
			var c []string
			for _, raw := range col {
				c = append(c, string(raw))
			}
			got = append(got, c)
		}
		if b, _ := json.Marshal(got); string(b) != tt.want {
			t.Errorf("%s: cells %s, want %s", tt.body, b, tt.want)
		}
	}

	// JSON that does not parse is told apart from a shape error.
	if _, err := readItems(t, `[{"columns":["t"],"rows":[[1,]]}]`, ItemLimits{}); !IsMalformed(err) {
		t.Errorf("malformed row: %v", err)
	}
	if _, err := readItems(t, `[{"columns":"t"}]`, ItemLimits{}); err == nil || IsMalformed(err) {
		t.Errorf("columns not a list: %v", err)
	}
}
