package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	hdr, tlsCfg, err := wireAccess(c.ds)
	if err != nil {
		return conform.Target{}, err
	}
	t := conform.Target{URL: c.ds.URL, Header: hdr, TLS: tlsCfg}
	if c.timeout > 0 {
		t.Timeout = time.Duration(c.timeout * float64(time.Second))
	}
	return t, nil
}
