package plugin

import (
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Every query of every panel says what is wrong with the settings, as its
// own 400 error from downstream (the user's input): Grafana shows a
// plugin-wide error only as "An error occurred within the plugin".
func TestInvalidSettingsFailEveryQuery(t *testing.T) {
	tests := []struct{ name, url, jsonData, want string }{
		{"scheme", "ftp://metrics.internal", `{}`, "only http and https"},
		{"no URL", "", `{}`, "URL is not set"},
		{"number setting", "http://127.0.0.1:1", `{"concurrency": 2.5}`, "oncurrency"},
		{"jsonData not an object", "http://127.0.0.1:1", `[1]`, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := instance(t, tt.url, tt.jsonData, nil)
			if _, ok := inst.(*invalidInstance); !ok {
				t.Fatalf("instance is %T, want *invalidInstance", inst)
			}
			res := query(t, inst, nil, dataQuery("A", `{"target":"x"}`), dataQuery("B", `{"target":"y"}`))
			for _, ref := range []string{"A", "B"} {
				r := res.Responses[ref]
				if r.Error == nil || !strings.Contains(r.Error.Error(), "invalid data source settings") || !strings.Contains(r.Error.Error(), tt.want) {
					t.Errorf("%s: error %v, want it to say %q", ref, r.Error, tt.want)
				}
				if r.Status != backend.StatusBadRequest || r.ErrorSource != backend.ErrorSourceDownstream {
					t.Errorf("%s: status %v, source %q; want 400 from downstream", ref, r.Status, r.ErrorSource)
				}
			}
		})
	}
}
