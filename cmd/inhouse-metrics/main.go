// Command inhouse-metrics runs the reference in-house metrics server and
// drives the built plugin over the plugin protocol, as Grafana would.
//
//	inhouse-metrics serve  [--listen 127.0.0.1:8080] [--token T] [--tls-cert F --tls-key F]
//	inhouse-metrics query  --url URL --target NAME [--from now-6h] [--to now] [--payload JSON] [--format time_series|table]
//	inhouse-metrics health --url URL
//	inhouse-metrics demo
//	inhouse-metrics ui     [--listen 127.0.0.1:3000] [--page browser-test/dist] [--dist dist]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

const usage = `usage: inhouse-metrics <command> [flags]

commands:
  serve    run the reference in-house metrics server
  query    run a query through the built plugin, as Grafana would
  health   run Save & test through the built plugin
  demo     start the reference server and run health and queries against it
  ui       serve the configuration page and query editor, backed by the plugin

Run "inhouse-metrics <command> -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(args)
	case "query":
		err = query(args)
	case "health":
		err = health(args)
	case "demo":
		err = demo(args)
	case "ui":
		err = ui(args)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (loopback by default)")
	token := fs.String("token", "", "require this bearer token (Authorization: Bearer <token>)")
	cert := fs.String("tls-cert", "", "serve TLS with this certificate file (PEM)")
	key := fs.String("tls-key", "", "the certificate's private key file (PEM)")
	_ = fs.Parse(args)
	if (*cert == "") != (*key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: refserver.New(refserver.Options{Token: *token}), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	fmt.Printf("reference in-house metrics server on %s://%s\n", scheme, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if *cert != "" {
		err = srv.ServeTLS(ln, *cert, *key)
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// connFlags are the flags every plugin-driving command shares.
type connFlags struct {
	url, apiKey, plugin string
	timeout             float64
}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "", "base URL of the in-house metrics service")
	fs.StringVar(&c.apiKey, "api-key", os.Getenv("INHOUSE_METRICS_API_KEY"), "API key, sent as a bearer token (default $INHOUSE_METRICS_API_KEY)")
	fs.StringVar(&c.plugin, "plugin", "", "path to the built plugin binary (default: dist/ of this repository)")
	fs.Float64Var(&c.timeout, "timeout", 0, "timeout in seconds (0: the plugin's default)")
}

func (c *connFlags) dataSource() grafanahost.DataSource {
	ds := grafanahost.DataSource{ID: 1, UID: "cli", Name: "In-house Metrics", URL: c.url, JSONData: map[string]any{}}
	if c.timeout > 0 {
		ds.JSONData["timeout"] = c.timeout
	}
	if c.apiKey != "" {
		ds.Secure = map[string]string{"apiKey": c.apiKey}
	}
	return ds
}

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

func health(args []string) error {
	fs := flag.NewFlagSet("health", flag.ExitOnError)
	var c connFlags
	c.register(fs)
	_ = fs.Parse(args)
	h, err := c.start()
	if err != nil {
		return err
	}
	defer h.Close()
	res, err := h.CheckHealth(context.Background(), c.dataSource())
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
	fs := flag.NewFlagSet("query", flag.ExitOnError)
	var c connFlags
	c.register(fs)
	target := fs.String("target", "", "metric name")
	from := fs.String("from", "now-6h", "start: RFC3339, epoch ms, or now-<duration>")
	to := fs.String("to", "now", "end: RFC3339, epoch ms, or now-<duration>")
	payload := fs.String("payload", "{}", "payload as a JSON object")
	format := fs.String("format", "time_series", "time_series or table")
	alias := fs.String("alias", "", "legend, may use {{tag}}")
	maxPoints := fs.Int64("max-data-points", 1000, "maxDataPoints")
	_ = fs.Parse(args)
	now := time.Now()
	tr, err := parseRange(*from, *to, now)
	if err != nil {
		return err
	}
	q, err := json.Marshal(map[string]any{"target": *target, "payload": json.RawMessage(*payload), "format": *format, "alias": *alias})
	if err != nil {
		return fmt.Errorf("--payload is not JSON: %w", err)
	}
	h, err := c.start()
	if err != nil {
		return err
	}
	defer h.Close()
	res, err := h.QueryData(context.Background(), c.dataSource(), []backend.DataQuery{{
		RefID: "A", JSON: q, TimeRange: tr, MaxDataPoints: *maxPoints, Interval: tr.Duration() / time.Duration(*maxPoints),
	}}, nil)
	if err != nil {
		return err
	}
	r := res.Responses["A"]
	printResponse(os.Stdout, "A", r)
	if r.Error != nil {
		return errors.New("query failed")
	}
	return nil
}

func parseRange(from, to string, now time.Time) (backend.TimeRange, error) {
	f, err := parseTime(from, now)
	if err != nil {
		return backend.TimeRange{}, fmt.Errorf("--from: %w", err)
	}
	t, err := parseTime(to, now)
	if err != nil {
		return backend.TimeRange{}, fmt.Errorf("--to: %w", err)
	}
	return backend.TimeRange{From: f, To: t}, nil
}

func parseTime(s string, now time.Time) (time.Time, error) {
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := parseDuration(strings.TrimPrefix(s, "now-"))
		return now.Add(-d), err
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	var ms int64
	if _, err := fmt.Sscanf(s, "%d", &ms); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC3339, epoch milliseconds or now-<duration>", s)
}

// parseDuration accepts Go durations plus days ("7d").
func parseDuration(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		var days int
		if _, err := fmt.Sscanf(s, "%dd", &days); err == nil {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 30m, 6h or 7d", s)
	}
	return d, nil
}
