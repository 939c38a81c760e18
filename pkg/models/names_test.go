package models

import (
	"encoding/json"
	"os"
	"testing"
)

func TestNamesMatchJSON(t *testing.T) {
	b, err := os.ReadFile("names.json")
	if err != nil {
		t.Fatal(err)
	}
	var names struct {
		QueryTypes map[string]string `json:"queryTypes"`
		Resources  map[string]string `json:"resources"`
		Layouts    map[string]string `json:"layouts"`
	}
	if err := json.Unmarshal(b, &names); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"queryTypes": {"metrics": QueryTypeMetrics, "variable": QueryTypeVariable, "annotations": QueryTypeAnnotations},
		"resources": {"metrics": ResourceMetrics, "metricPayloadOptions": ResourceMetricPayloadOptions,
			"tagKeys": ResourceTagKeys, "tagValues": ResourceTagValues},
		"layouts": {"multi": LayoutMulti, "wide": LayoutWide},
	}
	got := map[string]map[string]string{"queryTypes": names.QueryTypes, "resources": names.Resources, "layouts": names.Layouts}
	for section, consts := range want {
		if len(got[section]) != len(consts) {
			t.Errorf("names.json %s has %v; Go has constants for %v", section, got[section], consts)
		}
		for key, value := range consts {
			if got[section][key] != value {
				t.Errorf("names.json %s.%s = %q, the Go constant is %q", section, key, got[section][key], value)
			}
		}
	}
}
