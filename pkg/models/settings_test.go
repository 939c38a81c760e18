package models

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func TestLoadSettings(t *testing.T) {
	t.Setenv(AllowedHostsEnv, "ops.internal")
	op, errs := ReadOperator(os.Getenv)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		name     string
		url      string
		jsonData string
		secure   map[string]string
		basic    bool
		wantErr  string
		check    func(t *testing.T, s *Settings)
	}{
		{name: "defaults", url: "http://m:8080/api", check: func(t *testing.T, s *Settings) {
			if s.Timeout != DefaultTimeout || s.MaxResponseBytes != DefaultMaxResponseBytes || s.Concurrency != DefaultConcurrency || s.URL.Path != "/api" {
				t.Errorf("%+v", s)
			}
		}},
		{name: "timeout as number", url: "https://m", jsonData: `{"timeout": 5}`, check: func(t *testing.T, s *Settings) {
			if s.Timeout != 5*time.Second {
				t.Errorf("timeout %v", s.Timeout)
			}
		}},
		{name: "timeout as string", url: "https://m", jsonData: `{"timeout": "2.5"}`, check: func(t *testing.T, s *Settings) {
			if s.Timeout != 2500*time.Millisecond {
				t.Errorf("timeout %v", s.Timeout)
			}
		}},
		{name: "limits", url: "https://m", jsonData: `{"maxResponseMB": 1, "concurrency": 4}`, check: func(t *testing.T, s *Settings) {
			if s.MaxResponseBytes != 1<<20 || s.Concurrency != 4 {
				t.Errorf("%+v", s)
			}
		}},
		// Saved and provisioned data sources with 0 keep working.
		{name: "0 is the default", url: "https://m", jsonData: `{"timeout": 0, "maxResponseMB": "0", "concurrency": 0, "cacheTTLSeconds": 0, "cacheMaxMB": 0}`, check: func(t *testing.T, s *Settings) {
			if s.Timeout != DefaultTimeout || s.MaxResponseBytes != DefaultMaxResponseBytes || s.Concurrency != DefaultConcurrency || s.CacheTTL != 0 || s.CacheMaxBytes != DefaultCacheMaxBytes {
				t.Errorf("%+v", s)
			}
		}},
		{name: "huge sizes saturate instead of overflowing", url: "https://m", jsonData: `{"timeout": 1e300, "maxResponseMB": 1e300}`, check: func(t *testing.T, s *Settings) {
			if s.Timeout != math.MaxInt64 || s.MaxResponseBytes != math.MaxInt64 {
				t.Errorf("%+v", s)
			}
		}},
		{name: "concurrency above the cap is an error, not a clamp", url: "https://m", jsonData: `{"concurrency": 50}`, wantErr: "Concurrency is 50; it must be a whole number from 1 to 10"},
		{name: "secrets listed longest first", url: "https://m", secure: map[string]string{"apiKey": "abc", "httpHeaderValue1": "abcdef"}, check: func(t *testing.T, s *Settings) {
			if len(s.Secrets) != 2 || s.Secrets[0] != "abcdef" || s.Scrub("x abcdef abc") != "x [redacted] [redacted]" {
				t.Errorf("%v", s.Secrets)
			}
		}},
		{name: "cache", url: "https://m", jsonData: `{"cacheTTLSeconds": "10", "cacheMaxMB": 2}`, check: func(t *testing.T, s *Settings) {
			if s.CacheTTL != 10*time.Second || s.CacheMaxBytes != 2<<20 {
				t.Errorf("%+v", s)
			}
		}},
		{name: "maximum series", url: "https://m", jsonData: `{"maxSeries": "500"}`, check: func(t *testing.T, s *Settings) {
			if s.Limits.Series.Max != 500 || !strings.Contains(s.Limits.Series.Setting, `"Maximum series"`) {
				t.Errorf("%d %q", s.Limits.Series.Max, s.Limits.Series.Setting)
			}
		}},
		{name: "maximum series defaults", url: "https://m", jsonData: `{"maxSeries": 0}`, check: func(t *testing.T, s *Settings) {
			if s.Limits.Series.Max != 10_000 || s.Limits.Series.Max != DefaultMaxSeries {
				t.Errorf("%d", s.Limits.Series.Max)
			}
		}},
		{name: "huge maximum series saturates", url: "https://m", jsonData: `{"maxSeries": 1e300}`, check: func(t *testing.T, s *Settings) {
			if s.Limits.Series.Max != math.MaxInt64 {
				t.Errorf("%d", s.Limits.Series.Max)
			}
		}},
		{name: "fractional maximum series", url: "https://m", jsonData: `{"maxSeries": 2.5}`, wantErr: "Maximum series is 2.5; it must be a whole number of 1 or more, or 0 or empty for the default (10000)"},
		{name: "downsample off by default", url: "https://m", check: func(t *testing.T, s *Settings) {
			if s.Downsample {
				t.Error("downsample on")
			}
		}},
		{name: "downsample on", url: "https://m", jsonData: `{"downsample": true}`, check: func(t *testing.T, s *Settings) {
			if !s.Downsample {
				t.Error("downsample off")
			}
		}},
		{name: "layout multi by default", url: "https://m", check: func(t *testing.T, s *Settings) {
			if s.Wide {
				t.Error("wide layout without jsonData.layout")
			}
		}},
		{name: "layout multi", url: "https://m", jsonData: `{"layout": "multi"}`, check: func(t *testing.T, s *Settings) {
			if s.Wide {
				t.Error("wide layout for multi")
			}
		}},
		{name: "layout wide", url: "https://m", jsonData: `{"layout": "wide"}`, check: func(t *testing.T, s *Settings) {
			if !s.Wide {
				t.Error("multi layout for wide")
			}
		}},
		{name: "layout unknown", url: "https://m", jsonData: `{"layout": "Wide"}`, wantErr: `the layout setting (jsonData.layout) is "Wide"; it must be "multi" (one frame per series, the default) or "wide" (one wide frame for series that share their timestamps): choose Layout on the configuration page and save`},
		{name: "layout not a string", url: "https://m", jsonData: `{"layout": 2}`, wantErr: `the layout setting (jsonData.layout) is 2; it must be "multi"`},
		{name: "multi-value variables regex", url: "https://m", jsonData: `{"multiValue": "regex"}`, check: func(*testing.T, *Settings) {}},
		{name: "multi-value variables split", url: "https://m", jsonData: `{"multiValue": "split"}`, check: func(*testing.T, *Settings) {}},
		{name: "multi-value variables empty means the default", url: "https://m", jsonData: `{"multiValue": ""}`, check: func(*testing.T, *Settings) {}},
		{name: "multi-value variables unknown", url: "https://m", jsonData: `{"multiValue": "Split"}`, wantErr: `Multi-value variables (jsonData.multiValue) is "Split"; it must be "regex" (One query with a regex (as the JSON datasource)) or "split" (One query per value): choose Multi-value variables on the configuration page and save`},
		{name: "multi-value variables not a string", url: "https://m", jsonData: `{"multiValue": true}`, wantErr: `Multi-value variables (jsonData.multiValue) is true; it must be "regex"`},
		{name: "downsample not a boolean", url: "https://m", jsonData: `{"downsample": "yes"}`, wantErr: `downsample must be true or false, not "yes"`},
		{name: "negative cache TTL", url: "http://m", jsonData: `{"cacheTTLSeconds": -1}`, wantErr: "Cache TTL is -1 seconds; it must be a positive number of seconds, or 0 or empty for no cache"},
		{name: "allowed hosts", url: "https://m", jsonData: `{"allowedHosts": "CDN.internal:8443, b.internal"}`, check: func(t *testing.T, s *Settings) {
			if len(s.AllowedHosts) != 3 || s.AllowedHosts[0] != "cdn.internal:8443" || s.AllowedHosts[2] != "ops.internal" {
				t.Errorf("%v", s.AllowedHosts)
			}
		}},
		{name: "allowed host with a scheme", url: "http://m", jsonData: `{"allowedHosts": ["https://x"]}`, wantErr: "without scheme"},
		{name: "empty URL", url: " ", wantErr: "URL is not set"},
		{name: "no scheme", url: "m:8080", wantErr: "no scheme"},
		{name: "other scheme", url: "ftp://m", wantErr: `scheme "ftp"`},
		{name: "no host", url: "http://", wantErr: "no host"},
		{name: "credentials never echoed", url: "ftp://user:hunter2@m?token=t0k", wantErr: "ftp://m?token=[redacted]"},
		{name: "negative timeout", url: "http://m", jsonData: `{"timeout": -1}`, wantErr: "Timeout is -1 seconds"},
		{name: "timeout not a number", url: "http://m", jsonData: `{"timeout": "soon"}`, wantErr: `Timeout is "soon", which is not a number`},
		{name: "fractional concurrency", url: "http://m", jsonData: `{"concurrency": 1.5}`, wantErr: "whole number"},
		{name: "jsonData not an object", url: "http://m", jsonData: `[1]`, wantErr: "not a JSON object"},
		{name: "API key and basic auth", url: "http://m", basic: true, secure: map[string]string{"apiKey": "k"}, wantErr: "both basic auth and an API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSettings(backend.DataSourceInstanceSettings{URL: tt.url, JSONData: json.RawMessage(tt.jsonData), DecryptedSecureJSONData: tt.secure, BasicAuthEnabled: tt.basic}, op)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "t0k") {
					t.Errorf("error leaks a credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// The operator's max_series is a ceiling on each data source's "Maximum
// series": it lowers a higher one and leaves a lower one alone, and the
// error then names the setting that decided.
func TestMaxSeriesCeiling(t *testing.T) {
	tests := []struct {
		env, jsonData string
		want          int
		byOperator    bool
		wantErr       string
	}{
		{"", `{}`, 10_000, false, ""},
		{"500", `{}`, 500, true, ""},
		{"500", `{"maxSeries": 100}`, 100, false, ""},
		{"500", `{"maxSeries": 50000}`, 500, true, ""},
		{" 20000 ", `{}`, 10_000, false, ""},
		{"lots", `{}`, 10_000, false, `max_series "lots" in [plugin.inhouse-metrics-datasource] (GF_PLUGIN_MAX_SERIES) is not a whole number`},
		{"0", `{}`, 10_000, false, "is not a whole number of 1 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.env+" "+tt.jsonData, func(t *testing.T) {
			t.Setenv(MaxSeriesEnv, tt.env)
			op, errs := ReadOperator(os.Getenv)
			err := errors.Join(errs...)
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) || tt.wantErr == "" && err != nil {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			s, err := LoadSettings(backend.DataSourceInstanceSettings{URL: "http://m", JSONData: json.RawMessage(tt.jsonData)}, op)
			if err != nil {
				t.Fatal(err)
			}
			if s.Limits.Series.Max != tt.want || strings.Contains(s.Limits.Series.Setting, "max_series") != tt.byOperator {
				t.Errorf("MaxSeries %d set by %q; want %d, by the operator: %v", s.Limits.Series.Max, s.Limits.Series.Setting, tt.want, tt.byOperator)
			}
		})
	}
}

func TestSettingsDefaults(t *testing.T) {
	if DefaultTimeout != 30*time.Second || DefaultMaxResponseBytes != 64<<20 || DefaultConcurrency != 10 || DefaultCacheMaxBytes != 64<<20 || defaultSettings.CacheTTL != 0 {
		t.Errorf("defaults from settings.json: %+v", defaultSettings)
	}
	for _, r := range settingRules.Numbers {
		if _, err := r.value(json.RawMessage(formatNumber(r.Default))); err != nil {
			t.Errorf("the default of %s breaks its own rule: %v", r.Key, err)
		}
		if r.Default != 0 && !strings.Contains(r.EmptyMeans, formatNumber(r.Default)) {
			t.Errorf("%s: emptyMeans %q does not name the default %v", r.Key, r.EmptyMeans, r.Default)
		}
	}
}

// The page prints numbers with JavaScript's String(v); messages must match.
func TestFormatNumber(t *testing.T) {
	for v, want := range map[float64]string{
		5: "5", -1: "-1", 2.5: "2.5", 0.000001: "0.000001", -1.5e-7: "-1.5e-7", 1e21: "1e+21",
		123456789012345678901: "123456789012345680000", math.Copysign(0, -1): "0", math.Inf(-1): "-Infinity",
	} {
		if got := formatNumber(v); got != want {
			t.Errorf("formatNumber(%g) = %q, want %q", v, got, want)
		}
	}
}

var update = flag.Bool("update", false, "rewrite testdata/settings-verdicts.json from what LoadSettings says now")

const verdictsFile = "testdata/settings-verdicts.json"

// verdict is what LoadSettings says of one value of one setting. The
// frontend's test (src/settings.test.ts) reads the same file and asserts
// that the page says the same, so the two cannot drift apart.
type verdict struct {
	Key     string          `json:"key"`
	Value   json.RawMessage `json:"value"`
	OK      bool            `json:"ok"`
	Message string          `json:"message,omitempty"`
}

// probes are the values worth asking about for one rule: the edges of its
// range, what empty and 0 mean, and the shapes a saved value may take.
func probes(r numberRule) []any {
	step := 0.5
	if r.Whole {
		step = 1
	}
	vals := []any{nil, "", " ", 0, r.Min, r.Min - step, r.Min + step, -1, -1.5e-7, 1e21, "5", " 2 ", "-5", "soon", "1e999", json.RawMessage("1e999"), true}
	if r.Max != nil {
		vals = append(vals, *r.Max, *r.Max+step)
	}
	if r.Whole {
		vals = append(vals, 2.5)
	}
	return vals
}

func verdicts(t *testing.T) []verdict {
	t.Helper()
	var out []verdict
	for _, r := range settingRules.Numbers {
		seen := map[string]bool{}
		for _, p := range probes(r) {
			value, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if seen[string(value)] {
				continue
			}
			seen[string(value)] = true
			jd, _ := json.Marshal(map[string]json.RawMessage{r.Key: value})
			v := verdict{Key: r.Key, Value: value, OK: true}
			if _, err := LoadSettings(backend.DataSourceInstanceSettings{URL: "http://m", JSONData: jd}, DefaultOperator()); err != nil {
				v.OK, v.Message = false, err.Error()
			}
			out = append(out, v)
		}
	}
	return out
}

func TestSettingsVerdicts(t *testing.T) {
	got := verdicts(t)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(verdictsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(verdictsFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	stored, err := os.ReadFile(verdictsFile)
	if err != nil {
		t.Fatalf("%v; write it with go test ./pkg/models -update", err)
	}
	if bytes.Equal(stored, buf.Bytes()) {
		return
	}
	var want []verdict
	if err := json.Unmarshal(stored, &want); err != nil {
		t.Fatalf("%s: %v; rewrite it with go test ./pkg/models -update", verdictsFile, err)
	}
	said := func(vs []verdict) map[string]string {
		m := map[string]string{}
		for _, v := range vs {
			m[v.Key+" "+string(v.Value)] = fmt.Sprintf("ok=%v %q", v.OK, v.Message)
		}
		return m
	}
	now, before := said(got), said(want)
	for probe, verdict := range now {
		if before[probe] != verdict {
			t.Errorf("%s: LoadSettings says %s, the file says %s", probe, verdict, cmp.Or(before[probe], "nothing"))
		}
	}
	for probe, verdict := range before {
		if _, ok := now[probe]; !ok {
			t.Errorf("%s: no longer probed; the file says %s", probe, verdict)
		}
	}
	t.Errorf("%s is not what LoadSettings says now; if the change is meant, run go test ./pkg/models -update (the page's test then checks the page agrees)", verdictsFile)
}

// TestLimitCeilings: every answer limit is a data source setting with a
// default and an operator's ceiling, the way "Maximum series" is; each
// limit names the setting that decided it and who can raise it.
func TestLimitCeilings(t *testing.T) {
	tests := []struct {
		name, jsonData string
		env            map[string]string
		limit          func(*Settings) contract.Limit
		want           int
		setBy, raise   string
	}{
		{"points default", `{}`, nil, func(s *Settings) contract.Limit { return s.Limits.Points }, 10_000_000, `"Maximum points" in the data source's settings`, "raise the setting"},
		{"points set", `{"maxPoints": 2000}`, nil, func(s *Settings) contract.Limit { return s.Limits.Points }, 2000, `"Maximum points"`, "raise the setting"},
		{"points capped", `{"maxPoints": 2000}`, map[string]string{"GF_PLUGIN_MAX_POINTS": "1000"}, func(s *Settings) contract.Limit { return s.Limits.Points }, 1000, `max_points in [plugin.inhouse-metrics-datasource] of grafana.ini (the Grafana operator's ceiling on every data source's "Maximum points")`, "ask the Grafana operator to raise it"},
		{"cells capped", `{}`, map[string]string{"GF_PLUGIN_MAX_CELLS": "5"}, func(s *Settings) contract.Limit { return s.Limits.Cells }, 5, "max_cells", "ask the Grafana operator"},
		{"list items default", `{}`, nil, func(s *Settings) contract.Limit { return s.Limits.ListItems }, 100_000, `"Maximum list items"`, "raise the setting"},
		{"list items below the ceiling", `{"maxListItems": "50"}`, map[string]string{"GF_PLUGIN_MAX_LIST_ITEMS": "500"}, func(s *Settings) contract.Limit { return s.Limits.ListItems }, 50, `"Maximum list items"`, "raise the setting"},
		{"item size in KB", `{"maxItemKB": 2}`, nil, func(s *Settings) contract.Limit { return s.Limits.ItemBytes }, 2048, `"Maximum item size"`, "raise the setting"},
		{"item size capped", `{}`, map[string]string{"GF_PLUGIN_MAX_ITEM_KB": "1"}, func(s *Settings) contract.Limit { return s.Limits.ItemBytes }, 1024, "max_item_kb", "ask the Grafana operator"},
		{"event tags", `{}`, map[string]string{"GF_PLUGIN_MAX_EVENT_TAGS": "7"}, func(s *Settings) contract.Limit { return s.Limits.EventTags }, 7, "max_event_tags", "ask the Grafana operator"},
		{"invalid ceiling ignored", `{}`, map[string]string{"GF_PLUGIN_MAX_EVENT_TAGS": "many"}, func(s *Settings) contract.Limit { return s.Limits.EventTags }, 100, `"Maximum tags per event"`, "raise the setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			op, errs := ReadOperator(os.Getenv)
			if tt.name == "invalid ceiling ignored" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), `max_event_tags "many" in [plugin.inhouse-metrics-datasource] (GF_PLUGIN_MAX_EVENT_TAGS) is not a whole number`)) {
				t.Errorf("errors %v", errs)
			}
			s, err := LoadSettings(backend.DataSourceInstanceSettings{URL: "http://m", JSONData: json.RawMessage(tt.jsonData)}, op)
			if err != nil {
				t.Fatal(err)
			}
			got := tt.limit(s)
			if got.Max != tt.want || !strings.Contains(got.Setting, tt.setBy) || !strings.Contains(got.Raise, tt.raise) {
				t.Errorf("limit %+v; want %d set by %q, %q", got, tt.want, tt.setBy, tt.raise)
			}
		})
	}
}
