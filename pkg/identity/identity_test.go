package identity

import (
	"testing"
)

// The browser's own headers reach resource calls beside Grafana's (9.3.2
// passes all of them): only Grafana's value of each is forwarded, and an
// ID token only with an OAuth Authorization. Map order must not matter, so
// each case runs many times.
func TestForwardedOfTakesGrafanasOwn(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  map[string][]string
		want Forwarded
	}{
		{"password user forges X-ID-Token on a resource", map[string][]string{
			"X-Id-Token": {"forged"}, "Content-Type": {"application/json"}}, Forwarded{}},
		{"OAuth user forges it, newer Grafana resource", map[string][]string{
			"Authorization": {"Bearer real"}, "X-ID-Token": {"grafana-idt"}, "X-Id-Token": {"forged"}},
			Forwarded{Authorization: "Bearer real", IDToken: "grafana-idt"}},
		{"OAuth user forges it, Grafana 9.3.2 resource (appended after the browser's)", map[string][]string{
			"Authorization": {"Bearer real"}, "X-Id-Token": {"forged", "grafana-idt"}},
			Forwarded{Authorization: "Bearer real", IDToken: "grafana-idt"}},
		{"SDK SetHTTPHeader spelling in a query's string map", map[string][]string{
			"http_Authorization": {"Bearer real"}, "http_X-Id-Token": {"grafana-idt"}, "http_Cookie": {"sid=1"}},
			Forwarded{Authorization: "Bearer real", IDToken: "grafana-idt", Cookie: "sid=1"}},
		{"9.3.2 query map", map[string][]string{
			"Authorization": {"Bearer real"}, "X-ID-Token": {"grafana-idt"}, "Cookie": {"sid=1"}},
			Forwarded{Authorization: "Bearer real", IDToken: "grafana-idt", Cookie: "sid=1"}},
		{"an empty Authorization Grafana wrote for a password user", map[string][]string{
			"Authorization": {""}, "X-Id-Token": {"forged"}}, Forwarded{}},
		{"FromAlert and other headers are not identity", map[string][]string{
			"FromAlert": {"true"}, "X-Scope-OrgID": {"team-b"}, "X-Grafana-User": {"mallory"}}, Forwarded{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 50 {
				if got := ForwardedOf(tc.raw); got != tc.want {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
			}
		})
	}
}
