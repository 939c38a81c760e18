package frames

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func TestAnnotationsFrame(t *testing.T) {
	at := int64(1795903749000)
	tests := []struct {
		name   string
		events []contract.Annotation
		fields []string
	}{
		{name: "points", events: []contract.Annotation{{Time: at, Title: "t", Text: "x", Tags: []string{"a", "b,c"}}, {Time: at + 1, Text: "y"}},
			fields: []string{"time", "title", "text", "tags"}},
		{name: "a region among points", events: []contract.Annotation{{Time: at, Text: "x"}, {Time: at, TimeEnd: at + 60000, Text: "y", Tags: []string{}}},
			fields: []string{"time", "timeEnd", "title", "text", "tags"}},
		{name: "ids, by name as Grafana maps them", events: []contract.Annotation{{Time: at, Text: "x", ID: "7"}, {Time: at, Text: "y"}},
			fields: []string{"time", "title", "text", "tags", "id"}},
		{name: "none", fields: []string{"time", "title", "text", "tags"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := (&Annotations{Events: tt.events}).Frame()
			var names []string
			for _, fl := range f.Fields {
				names = append(names, fl.Name)
			}
			if len(names) != len(tt.fields) {
				t.Fatalf("fields %v, want %v", names, tt.fields)
			}
			for i := range names {
				if names[i] != tt.fields[i] {
					t.Fatalf("fields %v, want %v", names, tt.fields)
				}
			}
			if f.Rows() != len(tt.events) || f.Meta.Type != data.FrameTypeTable {
				t.Errorf("%d rows, type %v", f.Rows(), f.Meta.Type)
			}
			for i, e := range tt.events {
				if got := f.Fields[0].At(i).(time.Time); got.UnixMilli() != e.Time {
					t.Errorf("time %v", got)
				}
				tagsAt := slices.Index(names, "tags")
				tags := f.Fields[tagsAt].At(i).(json.RawMessage)
				if id := slices.Index(names, "id"); id >= 0 && f.Fields[id].At(i).(string) != e.ID {
					t.Errorf("id %v, want %q", f.Fields[id].At(i), e.ID)
				}
				var list []string
				if err := json.Unmarshal(tags, &list); err != nil || len(list) != len(e.Tags) {
					t.Errorf("tags %s for %v", tags, e.Tags)
				}
				if names[1] == "timeEnd" {
					end := f.Fields[1].At(i).(*time.Time)
					if (end == nil) != (e.TimeEnd == 0) || end != nil && end.UnixMilli() != e.TimeEnd {
						t.Errorf("timeEnd %v for %d", end, e.TimeEnd)
					}
				}
			}
		})
	}
}
