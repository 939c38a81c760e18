package frames

import (
	"math"
	"reflect"
	"testing"
)

func TestCellTextAndDescribe(t *testing.T) {
	tests := []struct {
		cell           cell
		text, describe string
	}{
		{cell{}, "", "null"},
		{cell{kind: numberCell, num: 1.5}, "1.5", "the number 1.5"},
		{cell{kind: numberCell, num: 1e21}, "1000000000000000000000", "the number 1000000000000000000000"},
		{cell{kind: stringCell, str: "x"}, "x", `the string "x"`},
		{cell{kind: trueCell}, "true", "the boolean true"},
		{cell{kind: falseCell}, "false", "the boolean false"},
		{cell{kind: nestedCell, nested: []any{1.0, "x", map[string]any{"a": true}}}, `[1,"x",{"a":true}]`, "an array"},
		{cell{kind: nestedCell, nested: map[string]any{"k": []any{}}}, `{"k":[]}`, "an object"},
	}
	for _, tt := range tests {
		if got := tt.cell.text(); got != tt.text {
			t.Errorf("%+v.text() = %q, want %q", tt.cell, got, tt.text)
		}
		if got := tt.cell.describe(); got != tt.describe {
			t.Errorf("%+v.describe() = %q, want %q", tt.cell, got, tt.describe)
		}
	}
}

// A cellColumn gives back what it was given, in order.
func TestCellColumnRoundTrip(t *testing.T) {
	tests := [][]cell{
		nil,
		{{}},
		{{kind: numberCell, num: math.Inf(1)}, {kind: stringCell, str: "a"}, {}, {kind: trueCell}, {kind: falseCell}, {kind: nestedCell, nested: []any{1.0}}, {kind: numberCell, num: -2}, {kind: stringCell, str: ""}},
	}
	for _, cells := range tests {
		var col cellColumn
		for _, c := range cells {
			col.add(c)
		}
		if col.len() != len(cells) {
			t.Fatalf("len %d, want %d", col.len(), len(cells))
		}
		cur := col.cursor()
		for i, want := range cells {
			if got := cur.next(); !reflect.DeepEqual(got, want) {
				t.Errorf("cell %d = %+v, want %+v", i, got, want)
			}
		}
	}
}
