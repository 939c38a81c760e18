// Package models holds the data source settings and the query model, and
// validates both so that everything past it can trust them.
package models

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/secrets"
)

// Defaults of the settings an operator may leave empty, as settings.json
// gives them.
var (
	DefaultTimeout          = defaultSettings.Timeout
	DefaultMaxResponseBytes = defaultSettings.MaxResponseBytes
	DefaultConcurrency      = defaultSettings.Concurrency
	DefaultCacheMaxBytes    = defaultSettings.CacheMaxBytes
	DefaultMaxSeries        = defaultSettings.Limits.Series.Max
)

// Settings are the validated settings of one data source instance.
type Settings struct {
	// UID is the data source's uid in Grafana, which names its live
	// channels.
	UID string
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
	// Limits bound what one answer may decode to.
	Limits Limits
	// LiveMinInterval is the shortest time between two polls of a live
	// stream: the data source's "Minimum live interval", raised to the
	// operator's floor (LiveMinIntervalEnv) when that is longer.
	LiveMinInterval time.Duration
	// Downsample reduces each series to the query's maxDataPoints, for
	// panels only (never alert rules).
	Downsample bool
	// Wide sends answers whose series share their timestamps as one
	// timeseries-wide frame (jsonData.layout "wide"), to panels and alert
	// rules alike.
	Wide bool
	// AllowedHosts are hosts besides the URL's that redirects may lead
	// to, from the data source (jsonData.allowedHosts) and from the
	// Grafana operator (AllowedHostsEnv). Credentials never go to them.
	AllowedHosts []string
	// APIKey is sent as "Authorization: Bearer <APIKey>".
	APIKey string
	// BasicAuth tells whether basic auth is on; its password stays in the
	// SDK's HTTP options.
	BasicAuth bool
	// Secrets lists every form of every secret value (see secretsOf), so
	// text that might echo one (a service that repeats our headers, a
	// library error quoting the URL) can be scrubbed.
	Secrets []string
	// Forwarding is what of the signed-in user reaches the service.
	Forwarding identity.Forwarding
	// TLSSkipVerify is on when the operator turned certificate
	// verification off; Save & test warns about it.
	TLSSkipVerify bool
}

// Limits are the bounds on one answer, one family: each is a data source
// setting with a default (settings.json), capped by the Grafana
// operator's ceiling of the same name when that is lower. Each Limit
// names the setting that decided it and who can raise it, so the error
// that refuses an answer sends the user to the right place.
type Limits struct {
	// Series, Points and Cells bound a /query answer (see frames.Limits).
	Series, Points, Cells contract.Limit
	// ListItems bounds the options of a variable or ad hoc filter list
	// and the events of an annotation answer; ItemBytes one value of
	// them (an option, an event's text, its tags); EventTags the tags of
	// one event.
	ListItems, ItemBytes, EventTags contract.Limit
}

// ListLimits are the limits of a list answer, with scrub for the text
// an error quotes.
func (l Limits) ListLimits(scrub func(string) string) contract.ListLimits {
	return contract.ListLimits{Items: l.ListItems, ItemBytes: l.ItemBytes, EventTags: l.EventTags, Cells: l.Cells, Scrub: scrub}
}

// AllowedHostsEnv is where the Grafana operator lists hosts every data
// source may be redirected to: Grafana passes the plugin's
// [plugin.inhouse-metrics-datasource] allowed_hosts setting in it.
const AllowedHostsEnv = "GF_PLUGIN_ALLOWED_HOSTS"

// LoadSettings validates the settings Grafana stored for a data source,
// under the operator's ceilings, floor and allowed hosts. Every error
// says which field is wrong and how to fix it.
func LoadSettings(s backend.DataSourceInstanceSettings, op Operator) (*Settings, error) {
	out := &Settings{
		UID:       s.UID,
		APIKey:    strings.TrimSpace(s.DecryptedSecureJSONData["apiKey"]),
		BasicAuth: s.BasicAuthEnabled,
	}
	u, err := ParseServiceURL(s.URL)
	if err != nil {
		return nil, err
	}
	out.URL = u
	out.TLSSkipVerify = tlsSkipVerify(s.JSONData)

	var jd map[string]json.RawMessage
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &jd); err != nil {
			return nil, fmt.Errorf("the data source's JSON settings are not a JSON object (%v); save the configuration page again", err)
		}
	}
	for _, r := range settingRules.Numbers {
		v, err := r.value(jd[r.Key])
		if err != nil {
			return nil, err
		}
		setting, raise := fmt.Sprintf("%q in the data source's settings", r.Label), "raise the setting"
		if c := op.Ceilings[r.Ceiling]; r.Ceiling != "" && c > 0 && c < v {
			v = c
			setting = fmt.Sprintf("%s in [plugin.inhouse-metrics-datasource] of grafana.ini (the Grafana operator's ceiling on every data source's %q)", r.Ceiling, r.Label)
			raise = "ask the Grafana operator to raise it"
		}
		numberSetters[r.Key](out, v)
		if limit := limitOf[r.Key]; limit != nil {
			l := limit(out)
			l.Setting, l.Raise = setting, raise
		}
	}
	for _, r := range settingRules.Choices {
		if err := r.check(jd[r.Key]); err != nil {
			return nil, err
		}
	}
	hosts, err := hostList(jd["allowedHosts"])
	if err != nil {
		return nil, err
	}
	if op.LiveMinInterval > out.LiveMinInterval {
		out.LiveMinInterval = op.LiveMinInterval
	}
	if out.Downsample, err = boolSetting(jd, "downsample"); err != nil {
		return nil, err
	}
	if out.Wide, err = wideLayout(jd["layout"]); err != nil {
		return nil, err
	}
	out.AllowedHosts = append(hosts, op.AllowedHosts...)
	if out.Forwarding, err = identity.ForwardingOf(jd); err != nil {
		return nil, err
	}
	if out.APIKey != "" && out.BasicAuth {
		return nil, fmt.Errorf("both basic auth and an API key are configured, and both use the Authorization header; turn off basic auth or reset the API key")
	}

	out.Secrets = secrets.Of(s, u)
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
		return nil, fmt.Errorf("URL %q has no scheme: start it with http:// or https://", secrets.RedactURL(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL %q is not a valid URL: %v", secrets.RedactURL(raw), unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q uses the scheme %q: only http and https are supported", secrets.RedactURL(raw), u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %q has no host: it should look like %s://metrics.internal:8080", secrets.RedactURL(raw), u.Scheme)
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

// boolSetting reads a jsonData toggle; absent or null is off.
func boolSetting(jd map[string]json.RawMessage, key string) (bool, error) {
	var on bool
	if raw := jd[key]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &on); err != nil {
			return false, fmt.Errorf("%s must be true or false, not %s; save the configuration page again", key, raw)
		}
	}
	return on, nil
}

// wideLayout reads jsonData.layout; absent, null or empty is the default,
// multi. Values are exact: the page saves them as names.json spells them,
// and a provisioning file that spells one otherwise should hear so rather
// than silently get the other layout.
func wideLayout(raw json.RawMessage) (bool, error) {
	var layout string
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &layout); err != nil {
			return false, layoutError(string(raw))
		}
	}
	switch layout {
	case "", LayoutMulti:
		return false, nil
	case LayoutWide:
		return true, nil
	}
	return false, layoutError(quoteJSON(layout))
}

func layoutError(got string) error {
	return fmt.Errorf("the layout setting (jsonData.layout) is %s; it must be %q (one frame per series, the default) or %q (one wide frame for series that share their timestamps): choose Layout on the configuration page and save", got, LayoutMulti, LayoutWide)
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// settings.json is the one statement of the numeric settings' rules: the
// configuration page imports it too, so the page refuses exactly what Save &
// test and every query would refuse, in the same words.
//
//go:embed settings.json
var settingsJSON []byte

// numberRule is one numeric jsonData setting as settings.json states it.
type numberRule struct {
	Key            string   `json:"key"`
	Label          string   `json:"label"`
	Unit           string   `json:"unit"`
	Min            float64  `json:"min"`
	MinIncluded    bool     `json:"minIncluded"`
	Max            *float64 `json:"max"`
	Whole          bool     `json:"whole"`
	Default        float64  `json:"default"`
	ZeroMeansEmpty bool     `json:"zeroMeansEmpty"`
	EmptyMeans     string   `json:"emptyMeans"`
	// Ceiling names the operator's setting that caps this one, for the
	// answer limits; see CeilingEnv.
	Ceiling string `json:"ceiling"`
}

// choiceRule is a jsonData setting that takes one of a few strings, as
// settings.json states it. The backend only checks it (the frontend acts
// on it), so a provisioning typo fails Save & test instead of quietly
// meaning the default.
type choiceRule struct {
	Key     string `json:"key"`
	Label   string `json:"label"`
	Default string `json:"default"`
	Options []struct {
		Value string `json:"value"`
		Label string `json:"label"`
	} `json:"options"`
}

type rulesFile struct {
	Choices       []choiceRule `json:"choices"`
	NumberPattern string       `json:"numberPattern"`
	Numbers       []numberRule `json:"numbers"`
}

// check refuses a value that is not one of the options; absent, null and
// empty mean the default. choiceProblem in src/settings.ts words it alike.
func (r choiceRule) check(raw json.RawMessage) error {
	var v string
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		v = string(raw)
	} else if v == "" {
		return nil
	} else {
		for _, o := range r.Options {
			if o.Value == v {
				return nil
			}
		}
		v = quoteJSON(v)
	}
	var want []string
	for _, o := range r.Options {
		want = append(want, fmt.Sprintf("%q (%s)", o.Value, o.Label))
	}
	return fmt.Errorf("%s (jsonData.%s) is %s; it must be %s: choose %s on the configuration page and save", r.Label, r.Key, v, strings.Join(want, " or "), r.Label)
}

// numberSetters turn a setting, in the unit settings.json gives, into
// Settings; every rule needs one, so a rule added to the JSON alone fails
// at start-up rather than being ignored.
var numberSetters = map[string]func(*Settings, float64){
	"timeout":                func(s *Settings, v float64) { s.Timeout = seconds(v) },
	"maxResponseMB":          func(s *Settings, v float64) { s.MaxResponseBytes = megabytes(v) },
	"concurrency":            func(s *Settings, v float64) { s.Concurrency = int(v) },
	"cacheTTLSeconds":        func(s *Settings, v float64) { s.CacheTTL = seconds(v) },
	"cacheMaxMB":             func(s *Settings, v float64) { s.CacheMaxBytes = megabytes(v) },
	"maxSeries":              func(s *Settings, v float64) { s.Limits.Series.Max = int(saturate(v)) },
	"maxPoints":              func(s *Settings, v float64) { s.Limits.Points.Max = int(saturate(v)) },
	"maxCells":               func(s *Settings, v float64) { s.Limits.Cells.Max = int(saturate(v)) },
	"maxListItems":           func(s *Settings, v float64) { s.Limits.ListItems.Max = int(saturate(v)) },
	"maxItemKB":              func(s *Settings, v float64) { s.Limits.ItemBytes.Max = int(saturate(v * 1024)) },
	"maxEventTags":           func(s *Settings, v float64) { s.Limits.EventTags.Max = int(saturate(v)) },
	"liveMinIntervalSeconds": func(s *Settings, v float64) { s.LiveMinInterval = seconds(v) },
}

// limitOf is where each answer limit of settings.json lives in Settings;
// loadRules checks that every setting with a ceiling has one.
var limitOf = map[string]func(*Settings) *contract.Limit{
	"maxSeries":    func(s *Settings) *contract.Limit { return &s.Limits.Series },
	"maxPoints":    func(s *Settings) *contract.Limit { return &s.Limits.Points },
	"maxCells":     func(s *Settings) *contract.Limit { return &s.Limits.Cells },
	"maxListItems": func(s *Settings) *contract.Limit { return &s.Limits.ListItems },
	"maxItemKB":    func(s *Settings) *contract.Limit { return &s.Limits.ItemBytes },
	"maxEventTags": func(s *Settings) *contract.Limit { return &s.Limits.EventTags },
}

var (
	settingRules  = loadRules(settingsJSON)
	numberPattern = regexp.MustCompile(settingRules.NumberPattern)
)

var defaultSettings = func() Settings {
	var s Settings
	for _, r := range settingRules.Numbers {
		numberSetters[r.Key](&s, r.Default)
	}
	return s
}()

// loadRules panics on a broken settings.json: it is embedded, so any test
// of the package finds the mistake.
func loadRules(b []byte) rulesFile {
	var f rulesFile
	if err := json.Unmarshal(b, &f); err != nil {
		panic(fmt.Sprintf("settings.json: %v", err))
	}
	if len(f.Numbers) != len(numberSetters) {
		panic(fmt.Sprintf("settings.json has %d number settings, settings.go sets %d", len(f.Numbers), len(numberSetters)))
	}
	for _, c := range f.Choices {
		known := false
		for _, o := range c.Options {
			known = known || o.Value == c.Default
		}
		if c.Key == "" || c.Label == "" || !known {
			panic(fmt.Sprintf("settings.json: choice %q needs a key, a label and a default among its options", c.Key))
		}
	}
	for _, r := range f.Numbers {
		if numberSetters[r.Key] == nil || r.Label == "" || r.EmptyMeans == "" {
			panic(fmt.Sprintf("settings.json: setting %q needs a setter in settings.go, a label and emptyMeans", r.Key))
		}
		if (r.Ceiling != "") != (limitOf[r.Key] != nil) {
			panic(fmt.Sprintf("settings.json: setting %q needs both a ceiling and a place in Settings.Limits, or neither", r.Key))
		}
	}
	return f
}

// value is the setting's value in its unit: the default when it is empty
// (or 0, where 0 means empty), an error that names the field, the value
// and what it must be otherwise.
func (r numberRule) value(raw json.RawMessage) (float64, error) {
	v, shown, state := readNumber(raw)
	switch {
	case state == numberEmpty || state == numberOK && v == 0 && r.ZeroMeansEmpty:
		return r.Default, nil
	case state == notANumber:
		return 0, errors.New(r.problem(shown + ", which is not a number"))
	case !r.allows(v):
		return 0, errors.New(r.problem(strings.TrimSpace(shown + " " + r.Unit)))
	}
	return v, nil
}

func (r numberRule) allows(v float64) bool {
	tooSmall := v < r.Min || v == r.Min && !r.MinIncluded
	tooBig := r.Max != nil && v > *r.Max
	return !tooSmall && !tooBig && (!r.Whole || v == math.Trunc(v))
}

// problem words a refusal; numberProblem in src/settings.ts words it the
// same way, and testdata/settings-verdicts.json holds both to it.
func (r numberRule) problem(what string) string {
	kind := "number"
	if r.Whole {
		kind = "whole number"
	}
	if r.Unit != "" {
		kind += " of " + r.Unit
	}
	var want string
	switch {
	case r.Max == nil && r.Min == 0 && !r.MinIncluded:
		want = "a positive " + kind
	case r.Max == nil && r.MinIncluded:
		want = "a " + kind + " of " + formatNumber(r.Min) + " or more"
	case r.Max == nil:
		want = "a " + kind + " above " + formatNumber(r.Min)
	case r.MinIncluded:
		want = "a " + kind + " from " + formatNumber(r.Min) + " to " + formatNumber(*r.Max)
	default:
		want = "a " + kind + " above " + formatNumber(r.Min) + " and at most " + formatNumber(*r.Max)
	}
	empty := "empty"
	if r.ZeroMeansEmpty {
		empty = "0 or empty"
	}
	return r.Label + " is " + what + "; it must be " + want + ", or " + empty + " for " + r.EmptyMeans
}

type numberState int

const (
	numberEmpty numberState = iota
	numberOK
	notANumber
)

// The page trims only these, so a value is empty or a number alike on
// both sides whatever Unicode space it holds.
const asciiSpace = " \t\n\r"

// readNumber reads a setting the page saved as a JSON number or that
// provisioning saved as a string. shown is the value as a message quotes
// it: the number as JavaScript prints it, anything else as JSON.
func readNumber(raw json.RawMessage) (v float64, shown string, state numberState) {
	text := bytes.TrimSpace(raw)
	if len(text) == 0 || string(text) == "null" {
		return 0, "", numberEmpty
	}
	if text[0] != '"' {
		v, err := strconv.ParseFloat(string(text), 64)
		switch {
		case err == nil:
			return v, formatNumber(v), numberOK
		case math.IsInf(v, 0):
			// JSON.parse makes Infinity of the same text.
			return 0, formatNumber(v), notANumber
		}
		var compact bytes.Buffer
		if json.Compact(&compact, text) != nil {
			return 0, string(text), notANumber
		}
		return 0, compact.String(), notANumber
	}
	var s string
	if err := json.Unmarshal(text, &s); err != nil {
		return 0, string(text), notANumber
	}
	trimmed := strings.Trim(s, asciiSpace)
	if trimmed == "" {
		return 0, "", numberEmpty
	}
	if numberPattern.MatchString(trimmed) {
		if v, err := strconv.ParseFloat(trimmed, 64); err == nil {
			return v, formatNumber(v), numberOK
		}
	}
	return 0, quoteJSON(s), notANumber
}

// formatNumber prints v as JavaScript's String(v) does, which
// encoding/json follows for finite numbers.
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		return "0" // also -0, as JavaScript prints it
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// quoteJSON quotes s as JSON.stringify does, which leaves <, > and & alone.
func quoteJSON(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// seconds and megabytes saturate: no upper limit is set for these, and a
// value past what int64 holds means "no practical limit", not an overflow
// into a negative duration or size.
func seconds(v float64) time.Duration { return time.Duration(saturate(v * float64(time.Second))) }

func megabytes(v float64) int64 { return saturate(v * (1 << 20)) }

func saturate(f float64) int64 {
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(f)
}
