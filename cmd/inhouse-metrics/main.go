// Command inhouse-metrics runs the reference in-house metrics server and
// drives the built plugin over the plugin protocol, as Grafana would.
//
//	inhouse-metrics serve  [--listen 127.0.0.1:8080] [--token T] [--tls-cert F --tls-key F]
//	inhouse-metrics query  --url URL --target NAME [--from now-6h] [--to now] [--payload JSON] [--format time_series|table] [--follow [--for 30s]]
//	inhouse-metrics health --url URL
//	inhouse-metrics conform --url URL [--json] [--wire-only]
//	inhouse-metrics metrics | tag-keys --url URL
//	inhouse-metrics tag-values --url URL --key KEY
//	inhouse-metrics variable --url URL --query TEXT [--format string|json]
//	inhouse-metrics annotations --url URL (--query TEXT | --target NAME)
//	inhouse-metrics demo
//	inhouse-metrics ui     [--listen 127.0.0.1:8090] [--page browser-test/dist] [--dist dist]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: inhouse-metrics <command> [flags]

commands:
  serve        run the reference in-house metrics server
  query        run a query through the built plugin, as Grafana would
  health       run Save & test through the built plugin
  conform      check a service against the contract, with advice per failure
  metrics      list the metrics and payload fields the query editor offers
  variable     run a template variable's query
  tag-keys     list the ad hoc filter keys
  tag-values   list an ad hoc filter key's values
  annotations  run an annotation query
  demo         start the reference server and run health and queries against it
  ui           serve the configuration page and query editor, backed by the plugin

Run "inhouse-metrics <command> -h" for a command's flags.
`

var commands = map[string]func(args []string) error{
	"serve":       serve,
	"query":       query,
	"health":      health,
	"conform":     conformCmd,
	"metrics":     metricsCmd,
	"variable":    variableCmd,
	"tag-keys":    tagKeysCmd,
	"tag-values":  tagValuesCmd,
	"annotations": annotationsCmd,
	"demo":        demo,
	"ui":          ui,
}

func main() { os.Exit(run(os.Args[1:])) }

// run returns the exit code: 0, 1 when the command failed, 2 when it was
// called wrongly.
func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	name := args[0]
	cmd, ok := commands[name]
	switch {
	case name == "help" || name == "-h" || name == "--help":
		fmt.Print(usage)
		return 0
	case !ok:
		fmt.Fprintf(os.Stderr, "error: unknown command %q: the commands are serve, query, health, conform, metrics, variable, tag-keys, tag-values, annotations, demo and ui; run \"inhouse-metrics help\" for what each does\n", name)
		return 2
	}
	err := cmd(args[1:])
	if err == nil || errors.Is(err, errHelpShown) {
		return 0
	}
	printError(os.Stderr, err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// usageError is a command called wrongly (exit code 2), as opposed to one
// that ran and failed.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// badUsage reports a wrong call of command cmd, with where to read how to
// call it.
func badUsage(cmd, format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...) + fmt.Sprintf("; run \"inhouse-metrics %s -h\" for its flags", cmd)}
}

// badFlag reports a flag value whose message already says how to fix it.
func badFlag(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// errHelpShown ends a command whose help was asked for and printed.
var errHelpShown = errors.New("help shown")

// parseFlags parses a command's flags. The flag package would print the
// whole flag list after an error, and it stops at the first argument that
// is not a flag, silently dropping it and every flag after it; so errors
// here are one line with a hint, positional arguments are refused, and
// help asked for goes to stdout.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Printf("usage: inhouse-metrics %s [flags]\n\nflags:\n", fs.Name())
		fs.SetOutput(os.Stdout)
		fs.PrintDefaults()
		return errHelpShown
	case err != nil:
		return badUsage(fs.Name(), "%v", err)
	case fs.NArg() > 0:
		hint := "this command takes flags only"
		if fs.Name() == "query" && fs.Lookup("target").Value.String() == "" {
			hint = fmt.Sprintf("name the metric with --target %s", fs.Arg(0))
		}
		return badUsage(fs.Name(), "unexpected argument %q: %s", fs.Arg(0), hint)
	}
	return nil
}
