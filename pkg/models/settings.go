// Package models holds the data source settings and the query model, and
// validates both so that everything past it can trust them.
package models

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Defaults for settings the operator may leave empty.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 64 << 20
	DefaultConcurrency      = 10
	DefaultCacheMaxBytes    = 64 << 20
	maxConcurrency          = 10 // experimental/concurrent caps at 10
)

// Settings are the validated settings of one data source instance.
type Settings struct {
	// URL is the service's base URL exactly as configured (a path is kept,
	// no slash is added).
	URL *url.URL
	// Timeout bounds each call to the service, headers and body.
	Timeout time.Duration
	// MaxResponseBytes bounds the body of any answer.
	MaxResponseBytes int64
	// Concurrency is how many queries of one request run at once.
	Concurrency int
	// CacheTTL keeps answers this long (0: no cache); CacheMaxBytes
	// bounds what the cache holds.
	CacheTTL      time.Duration
	CacheMaxBytes int64
	// AllowedHosts are hosts besides the URL's that redirects may lead
	// to, from the data source (jsonData.allowedHosts) and from the
	// Grafana operator (AllowedHostsEnv). Credentials never go to them.
	AllowedHosts []string
	// APIKey is sent as "Authorization: Bearer <APIKey>".
	APIKey string
	// BasicAuth tells whether basic auth is on; its password stays in the
	// SDK's HTTP options.
	BasicAuth bool
	// Secrets lists every decrypted secret value, so error text that might
	// echo one (a service that repeats our headers) can be scrubbed.
	Secrets []string
}

type jsonData struct {
	Timeout       json.RawMessage `json:"timeout"`
	MaxResponseMB json.RawMessage `json:"maxResponseMB"`
	Concurrency   json.RawMessage `json:"concurrency"`
	CacheTTL      json.RawMessage `json:"cacheTTLSeconds"`
	CacheMaxMB    json.RawMessage `json:"cacheMaxMB"`
	AllowedHosts  json.RawMessage `json:"allowedHosts"`
}

// AllowedHostsEnv is where the Grafana operator lists hosts every data
// source may be redirected to: Grafana passes the plugin's
// [plugin.inhouse-metrics-datasource] allowed_hosts setting in it.
const AllowedHostsEnv = "GF_PLUGIN_ALLOWED_HOSTS"

// LoadSettings validates the settings Grafana stored for a data source.
// Every error says which field is wrong and how to fix it.
func LoadSettings(s backend.DataSourceInstanceSettings) (*Settings, error) {
	out := &Settings{
		Timeout:          DefaultTimeout,
		MaxResponseBytes: DefaultMaxResponseBytes,
		Concurrency:      DefaultConcurrency,
		CacheMaxBytes:    DefaultCacheMaxBytes,
		APIKey:           strings.TrimSpace(s.DecryptedSecureJSONData["apiKey"]),
		BasicAuth:        s.BasicAuthEnabled,
	}
	u, err := ParseServiceURL(s.URL)
	if err != nil {
		return nil, err
	}
	out.URL = u

	var jd jsonData
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &jd); err != nil {
			return nil, fmt.Errorf("the data source's JSON settings are not a JSON object (%v); save the configuration page again", err)
		}
	}
	for _, n := range []numericSetting{
		{label: "Timeout", raw: jd.Timeout, unit: " seconds", zero: "the default, " + DefaultTimeout.String(),
			set: func(v float64) { out.Timeout = time.Duration(v * float64(time.Second)) }},
		{label: "Maximum response size", raw: jd.MaxResponseMB, unit: " MB", zero: fmt.Sprintf("the default, %d MB", DefaultMaxResponseBytes>>20),
			set: func(v float64) { out.MaxResponseBytes = int64(v * (1 << 20)) }},
		{label: "Concurrency", raw: jd.Concurrency, whole: true, zero: fmt.Sprintf("the default, %d; more than %d counts as %d", DefaultConcurrency, maxConcurrency, maxConcurrency),
			set: func(v float64) { out.Concurrency = int(min(v, maxConcurrency)) }},
		{label: "Cache TTL", raw: jd.CacheTTL, unit: " seconds", zero: "no cache",
			set: func(v float64) { out.CacheTTL = time.Duration(v * float64(time.Second)) }},
		{label: "Cache size", raw: jd.CacheMaxMB, unit: " MB", zero: fmt.Sprintf("the default, %d MB", DefaultCacheMaxBytes>>20),
			set: func(v float64) { out.CacheMaxBytes = int64(v * (1 << 20)) }},
	} {
		if err := n.apply(); err != nil {
			return nil, err
		}
	}
	hosts, err := hostList(jd.AllowedHosts)
	if err != nil {
		return nil, err
	}
	envHosts, _ := hostList(json.RawMessage(strconv.Quote(os.Getenv(AllowedHostsEnv))))
	out.AllowedHosts = append(hosts, envHosts...)
	if out.APIKey != "" && out.BasicAuth {
		return nil, fmt.Errorf("both basic auth and an API key are configured, and both use the Authorization header; turn off basic auth or reset the API key")
	}

	for _, v := range s.DecryptedSecureJSONData {
		if strings.TrimSpace(v) != "" {
			out.Secrets = append(out.Secrets, v)
		}
	}
	if pw := s.DecryptedSecureJSONData["basicAuthPassword"]; s.BasicAuthEnabled && pw != "" {
		// A service that echoes its request shows the encoded form.
		out.Secrets = append(out.Secrets, base64.StdEncoding.EncodeToString([]byte(s.BasicAuthUser+":"+pw)))
	}
	// Longest first, so a secret that contains another is scrubbed whole.
	sort.Slice(out.Secrets, func(i, j int) bool { return len(out.Secrets[i]) > len(out.Secrets[j]) })
	return out, nil
}

// ParseServiceURL validates the configured base URL of the service.
func ParseServiceURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("URL is not set: enter the base URL of your in-house metrics service, for example http://metrics.internal:8080")
	}
	if !strings.Contains(raw, "://") {
		// "host:8080" parses with "host" as its scheme; say what is meant.
		return nil, fmt.Errorf("URL %q has no scheme: start it with http:// or https://", RedactURL(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL %q is not a valid URL: %v", RedactURL(raw), unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q uses the scheme %q: only http and https are supported", RedactURL(raw), u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %q has no host: it should look like %s://metrics.internal:8080", RedactURL(raw), u.Scheme)
	}
	return u, nil
}

// hostList reads hosts given as a JSON array or as one string separated
// by commas or spaces, lower-cased, as host or host:port.
func hostList(raw json.RawMessage) ([]string, error) {
	var list []string
	trimmed := strings.TrimSpace(string(raw))
	switch {
	case trimmed == "" || trimmed == "null":
		return nil, nil
	case strings.HasPrefix(trimmed, "["):
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("allowed hosts must be a list of host names, such as [\"cdn.internal:8443\"]: %v", err)
		}
	default:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("allowed hosts must be host names separated by commas: %v", err)
		}
		list = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	}
	out := make([]string, 0, len(list))
	for _, h := range list {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.Contains(h, "/") {
			return nil, fmt.Errorf("allowed host %q should be a host name or host:port, without scheme or path", h)
		}
		out = append(out, h)
	}
	return out, nil
}

// RedactURL drops credentials and the query string of a URL, which may hold
// tokens, for use in messages.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?@"); i >= 0 {
			return raw[:i] + "..."
		}
		return raw
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "..."
	}
	u.Fragment = ""
	return u.String()
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// numericSetting is an optional, non-negative number in jsonData; absent
// or 0 keeps the default.
type numericSetting struct {
	label string // as the configuration page names it
	raw   json.RawMessage
	unit  string
	zero  string // what 0 means
	whole bool
	set   func(float64)
}

func (n numericSetting) apply() error {
	v, ok, err := number(n.label, n.raw)
	if err != nil || !ok {
		return err
	}
	if v < 0 || n.whole && v != math.Trunc(v) {
		kind := "a positive number"
		if n.whole {
			kind = "a positive whole number"
		}
		name := strings.ToLower(n.label[:1]) + n.label[1:]
		return fmt.Errorf("%s is %v%s; it must be 0 (%s) or %s%s", name, v, n.unit, n.zero, kind, n.unit)
	}
	if v > 0 {
		n.set(v)
	}
	return nil
}

// number reads a setting that the configuration page may have saved as a
// JSON number or as a string.
func number(field string, raw json.RawMessage) (float64, bool, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == `""` {
		return 0, false, nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Errorf("%s is %s, which is not a number", field, string(raw))
	}
	return v, true, nil
}

// Scrub removes every secret value from text that may have come from the
// service (which could echo our headers) or from a library error.
func (s *Settings) Scrub(text string) string {
	for _, secret := range s.Secrets {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	return text
}
