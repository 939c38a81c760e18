package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/conform"
)

// errNotConform ends a conform run that found failures: the report says
// which, so the error line only gives the verdict.
var errNotConform = errors.New("the service does not conform to the contract: see the failures above")

func conformCmd(args []string) error {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	wireOnly := fs.Bool("wire-only", false, "only call the service directly; skip the checks through the built plugin (what Grafana will show)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	if c.url == "" {
		return badUsage("conform", "--url is required: give the base URL of the service to check")
	}
	target, err := c.wireTarget()
	if err != nil {
		return err
	}
	if !*wireOnly {
		h, err := c.start()
		if err != nil {
			return fmt.Errorf("%w; or add --wire-only to check the service without the plugin", err)
		}
		defer h.Close()
		target.Plugin, target.DataSource = h, c.dataSource()
	}
	rep := conform.Run(context.Background(), target)
	if *asJSON {
		err = rep.WriteJSON(os.Stdout)
	} else {
		err = rep.WriteTable(os.Stdout)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return errNotConform
	}
	return nil
}

// wireTarget is the service as the data source reaches it: the same
// credential, headers and TLS settings, for the checks that call it
// directly.
func (c *connFlags) wireTarget() (conform.Target, error) {
	t := conform.Target{URL: c.url, Header: http.Header{}}
	if c.apiKey != "" {
		t.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	if c.timeout > 0 {
		t.Timeout = time.Duration(c.timeout * float64(time.Second))
	}
	if len(t.Header) == 0 {
		t.Header = nil
	}
	return t, nil
}
