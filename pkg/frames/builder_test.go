package frames

import (
	"fmt"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// The slab's chunks never move, so every pointer still reads its own row
// however many chunks the column took.
func TestColBuilderAcrossChunks(t *testing.T) {
	tests := []struct {
		rows, nullEvery int
	}{
		{0, 0}, {1, 0}, {minChunk, 0}, {minChunk + 1, 2}, {3*maxChunk + 5, 7}, {200, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d rows, null every %d", tt.rows, tt.nullEvery), func(t *testing.T) {
			isNull := func(i int) bool { return tt.nullEvery > 0 && i%tt.nullEvery == 0 }
			b := newColBuilder("v", "number")
			for i := range tt.rows {
				if isNull(i) {
					b.add(cell{})
				} else {
					b.add(cell{kind: numberCell, num: float64(i)})
				}
			}
			f, err := b.field()
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != tt.rows || f.Type() != data.FieldTypeNullableFloat64 || f.Name != "v" {
				t.Fatalf("field %s %s of %d rows", f.Name, f.Type(), f.Len())
			}
			for i := range tt.rows {
				p := f.At(i).(*float64)
				if isNull(i) != (p == nil) || (p != nil && *p != float64(i)) {
					t.Fatalf("row %d = %v", i, deref(p))
				}
			}
		})
	}
}

func TestColBuilderTypes(t *testing.T) {
	num := cell{kind: numberCell, num: 1000}
	str := func(s string) cell { return cell{kind: stringCell, str: s} }
	tests := []struct {
		declared string
		cells    []cell
		want     data.FieldType
		err      string
	}{
		{"", []cell{{}, num}, data.FieldTypeNullableFloat64, ""},
		{"", []cell{{}, {kind: falseCell}, str("true")}, data.FieldTypeNullableBool, ""},
		{"", []cell{{}, {kind: nestedCell, nested: []any{}}, num}, data.FieldTypeNullableString, ""},
		{"", []cell{{}, {}}, data.FieldTypeNullableString, ""},
		{"INTEGER", []cell{str("1e3")}, data.FieldTypeNullableFloat64, ""},
		{"time", []cell{num, str("1000"), str("1970-01-01T00:00:01Z")}, data.FieldTypeNullableTime, ""},
		{"number", []cell{num, str("x")}, 0, `row 1: want a number, got the string "x"`},
		{"bool", []cell{num}, 0, "row 0: want a boolean, got the number 1000"},
		{"time", []cell{{}, {kind: nestedCell, nested: map[string]any{}}}, 0, "row 1: want epoch milliseconds or an RFC3339 time, got an object"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.declared, tt.cells), func(t *testing.T) {
			b := newColBuilder("c", tt.declared)
			for _, c := range tt.cells {
				b.add(c)
			}
			f, err := b.field()
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || f.Type() != tt.want || f.Len() != len(tt.cells) {
				t.Fatalf("field %v (%v), want %s of %d", f, err, tt.want, len(tt.cells))
			}
		})
	}
}
