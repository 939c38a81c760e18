package models

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Every form of a secret that can go on the wire, or come back in an
// echo, is scrubbed; nothing that is not a secret is.
func TestScrubEveryForm(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{
		URL:           "http://svcuser:url-pass-9@metrics.internal/api?token=T0KEN-value&region=eu",
		JSONData:      json.RawMessage(`{}`),
		User:          "legacy",
		BasicAuthUser: "grafana",
		DecryptedSecureJSONData: map[string]string{
			"apiKey":           "k3y/SECRET\n",
			"httpHeaderValue1": `hdr"value`,
			"password":         "legacy-pw",
		},
	}, DefaultOperator())
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	leaks := []struct{ name, text string }{
		{"the key as saved", "k3y/SECRET\n"},
		{"the key trimmed, as sent", "Bearer k3y/SECRET"},
		{"the key JSON-escaped with \\/", `"Bearer k3y\/SECRET"`},
		{"a header value JSON-escaped", `{"h":"hdr\"value"}`},
		{"legacy basic auth pair", "Basic " + b64("legacy:legacy-pw")},
		{"the URL's password", "url-pass-9"},
		{"the URL's user info", "svcuser:url-pass-9@"},
		{"the URL's user info as basic auth", b64("svcuser:url-pass-9")},
		{"a query value", "token=T0KEN-value"},
	}
	for _, tt := range leaks {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Scrub("echo: " + tt.text)
			for _, secret := range []string{"k3y", "SECRET", `hdr"value`, `hdr\"value`, "legacy-pw", b64("legacy:legacy-pw"), "url-pass-9", "T0KEN-value"} {
				if strings.Contains(got, secret) {
					t.Errorf("Scrub(%q) = %q still holds %q", tt.text, got, secret)
				}
			}
		})
	}
	// Short query values are not secrets: scrubbing "eu" would mangle data.
	if got := s.Scrub("eu-west"); got != "eu-west" {
		t.Errorf("Scrub(eu-west) = %q", got)
	}
}

// A URL that fails to parse, or has no scheme, is named without its
// password in the settings error.
func TestURLErrorsNeverEchoUserInfo(t *testing.T) {
	for _, raw := range []string{"http://svc:PW-secret@host:80a", "svc:PW-secret@metrics.internal:8080", "ftp://svc:PW-secret@h/?token=PW-secret"} {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{URL: raw, JSONData: json.RawMessage(`{}`)}, DefaultOperator())
		if err == nil || strings.Contains(err.Error(), "PW-secret") {
			t.Errorf("URL %q: error %v", raw, err)
		}
	}
}
