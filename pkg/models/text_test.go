package models

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// TestFreeTextBounds: every free-text field of the query, variable and
// annotation models is refused past its bound, with an error that names
// the field, its size and the bound; at the bound it is accepted.
func TestFreeTextBounds(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := backend.TimeRange{From: from, To: from.Add(time.Hour)}
	str := func(n int) string { b, _ := json.Marshal(strings.Repeat("x", n)); return string(b) }
	filters := func(n int, key, value int) string {
		var fs []string
		for range n {
			fs = append(fs, `{"key":`+str(key)+`,"operator":"=","value":`+str(value)+`}`)
		}
		return "[" + strings.Join(fs, ",") + "]"
	}
	query := func(dq backend.DataQuery) error { _, err := ParseQuery(dq); return err }
	variable := func(dq backend.DataQuery) error { _, err := ParseVariableQuery(dq); return err }
	annotation := func(dq backend.DataQuery) error { _, err := ParseAnnotationQuery(dq); return err }
	tests := []struct {
		name    string
		parse   func(backend.DataQuery) error
		refID   string
		model   string
		wantErr string // "" for accepted
	}{
		{"alias at the bound", query, "A", `{"target":"m","alias":` + str(MaxAliasBytes) + `}`, ""},
		{"alias of 1 MB", query, "A", `{"target":"m","alias":` + str(1<<20) + `}`, "the alias (legend) is 1,048,576 bytes, above the limit of 1,024 bytes; shorten it in the query editor"},
		{"legendFormat", query, "A", `{"target":"m","legendFormat":` + str(MaxAliasBytes+1) + `}`, "the alias (legend) is 1,025 bytes, above the limit of 1,024 bytes"},
		{"target at the bound", query, "A", `{"target":` + str(MaxTargetBytes) + `}`, ""},
		{"target", query, "A", `{"target":` + str(MaxTargetBytes+1) + `}`, "the target (metric) is 4,097 bytes, above the limit of 4,096 bytes"},
		{"refId", query, strings.Repeat("A", MaxRefIDBytes+1), `{"target":"m"}`, "the query's refId is 257 bytes, above the limit of 256 bytes"},
		{"format", query, "A", `{"target":"m","format":` + str(MaxFormatBytes+1) + `}`, "the format is 65 bytes, above the limit of 64 bytes"},
		{"type", query, "A", `{"target":"m","type":` + str(1<<20) + `}`, "the type is 1,048,576 bytes"},
		{"filters at the bounds", query, "A", `{"target":"m","filters":` + filters(MaxFilters, MaxFilterKeyBytes, MaxFilterValueBytes) + `}`, ""},
		{"too many filters", query, "A", `{"target":"m","filters":` + filters(MaxFilters+1, 1, 1) + `}`, "the query has 101 ad hoc filters, above the limit of 100"},
		{"filter key", query, "A", `{"target":"m","filters":` + filters(1, MaxFilterKeyBytes+1, 1) + `}`, "ad hoc filter 1's key is 1,025 bytes, above the limit of 1,024 bytes; shorten it in the dashboard's filter bar"},
		{"adhocFilters value", query, "A", `{"target":"m","adhocFilters":` + filters(2, 1, MaxFilterValueBytes+1) + `}`, "ad hoc filter 1's value is 4,097 bytes"},
		{"filter operator", query, "A", `{"target":"m","filters":[{"key":"k","operator":` + str(MaxFilterOpBytes+1) + `,"value":"v"}]}`, "ad hoc filter 1's operator is 17 bytes"},
		{"variable text at the bound", variable, "A", `{"query":` + str(MaxTargetBytes) + `}`, ""},
		{"variable text", variable, "A", `{"query":` + str(MaxTargetBytes+1) + `}`, "the variable query is 4,097 bytes, above the limit of 4,096 bytes; shorten it in the variable's settings"},
		{"variable target", variable, "A", `{"target":` + str(1<<20) + `}`, "the variable query is 1,048,576 bytes"},
		{"variable text alone", variable, "A", str(MaxTargetBytes + 1), "the variable query is 4,097 bytes"},
		{"variable format", variable, "A", `{"query":"x","format":` + str(1<<20) + `}`, "the variable query's format is 1,048,576 bytes"},
		{"variable refId", variable, strings.Repeat("A", 1<<20), `{"query":"x"}`, "the variable query's refId is 1,048,576 bytes"},
		{"annotation text at the bound", annotation, "A", `{"query":` + str(MaxTargetBytes) + `}`, ""},
		{"annotation text", annotation, "A", `{"query":` + str(1<<20) + `}`, "the annotation query is 1,048,576 bytes, above the limit of 4,096 bytes; shorten it in the annotation's settings"},
		{"annotation name", annotation, "A", `{"query":"q","name":` + str(MaxNameBytes+1) + `}`, "the annotation's name is 1,025 bytes"},
		{"annotation color", annotation, "A", `{"query":"q","iconColor":` + str(MaxColorBytes+1) + `}`, "the annotation's color is 65 bytes"},
		{"annotation metric alias", annotation, "A", `{"target":"m","alias":` + str(MaxAliasBytes+1) + `}`, "annotation query: the alias (legend) is 1,025 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(backend.DataQuery{RefID: tt.refID, JSON: json.RawMessage(tt.model), TimeRange: tr})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v\nwant %q", err, tt.wantErr)
			}
			if len(err.Error()) > 400 {
				t.Errorf("the error quotes the text: %d bytes", len(err.Error()))
			}
		})
	}
}
