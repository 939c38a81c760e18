package plugin

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The plugin identity is fixed: Grafana and tests outside the repository
// rely on it, and the manifest must pass Grafana's schema.
func TestPluginManifest(t *testing.T) {
	raw, err := os.ReadFile("../../src/plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	// The build replaces these placeholders; the schema wants a date.
	raw = []byte(strings.NewReplacer("%VERSION%", "1.0.0", "%TODAY%", "2026-01-01", "%REPOSITORY%", "https://example.com/repo").Replace(string(raw)))
	var manifest map[string]any
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"type": "datasource", "id": PluginID, "name": "In-house Metrics", "backend": true,
		"executable": "gpx_inhouse_metrics", "alerting": true, "metrics": true, "annotations": true,
		// Live panels: the data source is a backend.StreamHandler
		// (stream.go checks that at compile time).
		"streaming": true,
	}
	for k, v := range want {
		if manifest[k] != v {
			t.Errorf("plugin.json %s = %v, want %v", k, manifest[k], v)
		}
	}

	schemaFile, err := os.Open("testdata/plugin.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	doc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("plugin.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("plugin.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("plugin.json does not match Grafana's schema: %v", err)
	}
}
