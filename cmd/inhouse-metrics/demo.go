package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// demo starts the reference server on a free loopback port, then drives
// the built plugin against it: Save & test, several queries in one
// request, an alert-rule query, what a user sees when things go wrong, and
// a live panel's stream.
func demo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	plugin := fs.String("plugin", "", "path to the built plugin binary (default: dist/ of this repository)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	token := randomToken()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: refserver.New(refserver.Options{Token: token}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	fmt.Printf("Reference in-house metrics server on %s (bearer token required)\n\n", url)

	c := connFlags{plugin: *plugin}
	h, err := c.start()
	if err != nil {
		return err
	}
	defer h.Close()
	ctx := context.Background()
	ds := grafanahost.DataSource{ID: 1, UID: "cli", Name: "In-house Metrics", URL: url,
		JSONData: map[string]any{}, Secure: map[string]string{"apiKey": token}}

	fmt.Println("== Save & test")
	res, err := h.CheckHealth(ctx, ds)
	if err != nil {
		return err
	}
	printHealth(os.Stdout, res)
	fmt.Println("-- failing on purpose: a wrong API key (401), then a port nothing listens on (connection refused)")
	wrongKey := ds
	wrongKey.UID, wrongKey.Secure = "wrong-key", map[string]string{"apiKey": "not-the-token"}
	if res, err = h.CheckHealth(ctx, wrongKey); err == nil {
		printHealth(os.Stdout, res)
	}
	closed := ds
	closed.UID, closed.URL = "closed", "http://"+freeAddr()
	if res, err = h.CheckHealth(ctx, closed); err == nil {
		printHealth(os.Stdout, res)
	}

	now := time.Now().UTC().Truncate(time.Minute)
	tr := backend.TimeRange{From: now.Add(-6 * time.Hour), To: now}
	q := func(ref string, model map[string]any) backend.DataQuery {
		raw, _ := json.Marshal(model)
		return backend.DataQuery{RefID: ref, JSON: raw, TimeRange: tr, MaxDataPoints: 360, Interval: time.Minute}
	}
	queries := []backend.DataQuery{
		q("A", map[string]any{"target": "requests_per_second", "payload": map[string]any{"service": []string{"checkout"}}, "alias": "{{service}} in {{region}}"}),
		q("B", map[string]any{"target": "latency_p99_ms", "payload": `{"region":"eu-west"}`, "editorMode": "code"}),
		q("C", map[string]any{"target": "deployments", "format": "table", "payload": map[string]any{"service": "payments"}}),
		q("D", map[string]any{"target": "cpu_usage", "format": "heatmap"}),
	}
	fmt.Println("\n== Four queries in one request (D is invalid on purpose; the others still answer)")
	qr, err := h.QueryData(ctx, ds, queries, nil)
	if err != nil {
		return err
	}
	for _, ref := range []string{"A", "B", "C", "D"} {
		printResponse(os.Stdout, ref, qr.Responses[ref])
	}

	fmt.Println("\n== The same request from an alert rule (tables cannot be alerted on)")
	qr, err = h.QueryData(ctx, ds, queries[1:3], map[string]string{backend.FromAlertHeaderName: "true"})
	if err != nil {
		return err
	}
	for _, ref := range []string{"B", "C"} {
		printResponse(os.Stdout, ref, qr.Responses[ref])
	}

	// A live panel: the last minute, then a new point each second as the
	// reference server's clock moves, through the plugin's stream calls.
	fmt.Println("\n== A live panel: the last minute, then each second's new point for 3.5 s")
	live := ds
	live.UID, live.JSONData = "live", map[string]any{"liveMinIntervalSeconds": 1}
	at := time.Now()
	lq := backend.DataQuery{RefID: "L", TimeRange: backend.TimeRange{From: at.Add(-time.Minute), To: at}, MaxDataPoints: 60, Interval: time.Second,
		// The model as Grafana's frontend sends it, with the panel's
		// resolution, which the stream reads from the subscription data.
		JSON: json.RawMessage(`{"target":"cpu_usage","payload":{"service":["checkout"],"region":"eu-west"},"live":true,"intervalMs":1000,"maxDataPoints":60}`)}
	qr, err = h.QueryData(ctx, live, []backend.DataQuery{lq}, nil)
	if err != nil {
		return err
	}
	printResponse(os.Stdout, "L", qr.Responses["L"])
	if err := followStream(h, live, "L", qr.Responses["L"], 3500*time.Millisecond, os.Stdout); err != nil {
		return err
	}
	fmt.Println("\nDemo done. Check your own service with: inhouse-metrics conform --url URL [--api-key KEY]")
	return nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:1"
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
