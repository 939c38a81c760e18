package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/live"
)

// defaultMaxDataPoints stands in for the panel width Grafana derives it
// from.
const defaultMaxDataPoints = 1000

// connFlags are the flags every plugin-driving command shares: where the
// service is and how the data source reaches it.
type connFlags struct {
	fs                  *flag.FlagSet
	url, apiKey, plugin string
	dsFile, dsName      string
	timeout             float64
	auth                authFlags
	settings            settingFlags
	// ds is the data source the flags describe, built by check.
	ds grafanahost.DataSource
}

func (c *connFlags) register(fs *flag.FlagSet) {
	c.fs = fs
	fs.StringVar(&c.url, "url", "", "base URL of the in-house metrics service")
	fs.StringVar(&c.apiKey, "api-key", os.Getenv("INHOUSE_METRICS_API_KEY"), "API key, sent as a bearer token (default $INHOUSE_METRICS_API_KEY)")
	fs.StringVar(&c.plugin, "plugin", "", "path to the built plugin binary (default: dist/ of this repository)")
	fs.Float64Var(&c.timeout, "timeout", 0, "timeout in seconds (0: the plugin's default)")
	fs.StringVar(&c.dsFile, "datasource-file", "", "read the data source's settings from this Grafana provisioning file (YAML); flags given as well override it")
	fs.StringVar(&c.dsName, "name", "", "with --datasource-file, the data source's name (needed when the file has more than one of this plugin)")
	c.auth.register(fs)
	c.settings.register(fs)
}

// check runs before the plugin starts, so a mistyped flag costs nothing,
// and builds the data source.
func (c *connFlags) check() error {
	if c.timeout < 0 || math.IsNaN(c.timeout) || math.IsInf(c.timeout, 0) {
		return badFlag("--timeout %v: give 0 or more seconds (0, the default, uses the plugin's timeout)", c.timeout)
	}
	ds := grafanahost.DataSource{ID: 1, UID: "cli", Name: "In-house Metrics", JSONData: map[string]any{}}
	switch {
	case c.dsFile != "":
		var err error
		if ds, err = loadDataSource(c.dsFile, c.dsName); err != nil {
			return err
		}
	case c.dsName != "":
		return badUsage(c.fs.Name(), "--name chooses a data source of --datasource-file: give the file too")
	}
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["url"] || c.dsFile == "" {
		ds.URL = c.url
	}
	if strings.TrimSpace(ds.URL) == "" {
		return badUsage(c.fs.Name(), "--url is required: give the base URL of the service, such as --url http://127.0.0.1:8080")
	}
	if c.timeout > 0 {
		ds.JSONData["timeout"] = c.timeout
	}
	apiKey := strings.TrimSpace(c.apiKey)
	if c.dsFile != "" && !set["api-key"] {
		// The file's own key, not one left in the environment.
		apiKey = ""
	}
	if apiKey != "" && ds.BasicAuth && !c.auth.givesBasic() {
		// --api-key replaces the file's basic auth.
		ds.BasicAuth = false
	}
	if err := c.auth.apply(&ds, apiKey); err != nil {
		return err
	}
	if err := c.settings.apply(&ds); err != nil {
		return err
	}
	c.ds = ds
	return nil
}

func (c *connFlags) dataSource() grafanahost.DataSource { return c.ds }

func (c *connFlags) start() (*grafanahost.Host, error) {
	bin := c.plugin
	if bin == "" {
		var err error
		if bin, err = grafanahost.FindBinary("."); err != nil {
			return nil, err
		}
	}
	return grafanahost.Start(bin, grafanahost.Options{})
}

// queryA starts the plugin and runs q, with model as its JSON, as query A
// of one request from the data source's caller: the steps every command
// that queries shares. The host stays open for a stream to follow; the
// caller closes it, also on an error.
func (c *connFlags) queryA(model map[string]any, q backend.DataQuery) (*grafanahost.Host, backend.DataResponse, error) {
	var err error
	if q.JSON, err = json.Marshal(model); err != nil {
		return nil, backend.DataResponse{}, err
	}
	h, err := c.start()
	if err != nil {
		return nil, backend.DataResponse{}, err
	}
	q.RefID = "A"
	res, err := h.QueryDataAs(context.Background(), c.dataSource(), c.settings.caller(), []backend.DataQuery{q}, nil)
	if err != nil {
		return h, backend.DataResponse{}, err
	}
	return h, res.Responses["A"], nil
}

func health(args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	h, err := c.start()
	if err != nil {
		return err
	}
	defer h.Close()
	res, err := h.CheckHealthAs(context.Background(), c.dataSource(), c.settings.caller())
	if err != nil {
		return err
	}
	printHealth(os.Stdout, res)
	if res.Status != backend.HealthStatusOk {
		return errors.New("health check failed")
	}
	return nil
}

func query(args []string) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	target := fs.String("target", "", "metric name")
	from := fs.String("from", "now-6h", "start: "+timeForms)
	to := fs.String("to", "now", "end: "+timeForms)
	payload := fs.String("payload", "{}", `payload as a JSON object, e.g. '{"region":"eu-west"}'`)
	format := fs.String("format", "time_series", "time_series or table")
	alias := fs.String("alias", "", "legend, may use {{tag}}")
	maxPoints := fs.Int64("max-data-points", defaultMaxDataPoints, "most points per series (Grafana derives it from the panel width)")
	follow := fs.Bool("follow", false, "after the history, print new points as they arrive over the plugin's stream, until Ctrl-C")
	forDur := fs.Duration("for", 0, "with --follow, stop after this long, e.g. 30s or 5m (default: until Ctrl-C)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*target) == "" {
		return badUsage("query", "--target is required: name the metric to query (\"inhouse-metrics metrics\" lists them)")
	}
	if err := c.check(); err != nil {
		return err
	}
	switch {
	case *forDur < 0:
		return badFlag("--for %v: give a positive duration such as 30s, or leave the flag out to follow until Ctrl-C", *forDur)
	case *forDur > 0 && !*follow:
		return badFlag("--for %v bounds --follow: add --follow, or leave --for out", *forDur)
	case *follow && *format != "time_series":
		return badFlag("--follow streams time series: leave out --format %s", *format)
	}
	if *maxPoints < 1 {
		return badFlag("--max-data-points %d: give at least 1, or leave the flag out for %d", *maxPoints, defaultMaxDataPoints)
	}
	p, err := parsePayload(*payload)
	if err != nil {
		return err
	}
	now := time.Now()
	tr, err := parseRange(*from, *to, now)
	if err != nil {
		return badFlag("%v", err)
	}
	if *follow && !live.ReachesNow(tr.To, now) {
		return badFlag("--follow streams new points, but --to %s (%s) is before now, so none would fall in the range: leave --to out (it defaults to now), or leave --follow out", *to, utc(tr.To))
	}
	interval := tr.Duration() / time.Duration(*maxPoints)
	// The model as Grafana's frontend sends it, with the panel's resolution
	// next to the query, so a stream run from the model alone polls as the
	// query did and catches up over its span (interval times points).
	model := map[string]any{"target": *target, "payload": p, "format": *format, "alias": *alias,
		"intervalMs": max(interval.Milliseconds(), 1), "maxDataPoints": *maxPoints}
	if *follow {
		model["live"] = true
	}
	h, r, err := c.queryA(model, backend.DataQuery{TimeRange: tr, MaxDataPoints: *maxPoints, Interval: interval})
	if h != nil {
		defer h.Close()
	}
	if err != nil {
		return err
	}
	printResponse(os.Stdout, "A", r)
	if r.Error != nil {
		return errors.New("query failed")
	}
	if *follow {
		return followStream(h, c.dataSource(), "A", r, *forDur, os.Stdout)
	}
	return nil
}

// payloadExample ends every --payload error: the usual mistake is a shell
// that ate the double quotes of an unquoted payload.
const payloadExample = `write a JSON object in single quotes, for example --payload '{"region":"eu-west"}'`

// parsePayload checks --payload here, because json.Marshal's and the
// plugin's errors describe Go types rather than the flag.
func parsePayload(s string) (json.RawMessage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, badFlag("--payload is empty: %s, or leave the flag out", payloadExample)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &syntax):
			return nil, badFlag("--payload is not valid JSON: %s at character %d: %s", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset, payloadExample)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, badFlag("--payload ends before its JSON does (a closing } or \" is missing): %s", payloadExample)
		}
		return nil, badFlag("--payload is not valid JSON: %s", payloadExample)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, badFlag("--payload must be a JSON object, not %s: %s", jsonKind(v), payloadExample)
	}
	if rest := strings.TrimSpace(s[dec.InputOffset():]); rest != "" {
		return nil, badFlag("--payload has text after the object (%q): %s", rest, payloadExample)
	}
	return json.RawMessage(s), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return "null"
}
