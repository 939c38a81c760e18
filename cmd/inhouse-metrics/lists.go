package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// The commands below ask the plugin what the editors and dashboards get:
// the metric list, a variable's options, ad hoc filter keys and values,
// annotations. Each goes through the plugin protocol, as query does.

// resourceCmd runs one resource route with body and prints the list it
// answers with print.
func resourceCmd(c *connFlags, route string, body any, print func(io.Writer, []byte) error) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	h, err := c.start()
	if err != nil {
		return err
	}
	defer h.Close()
	res, err := h.CallResourceAs(context.Background(), c.dataSource(), c.settings.caller(), http.MethodPost, route, b)
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		msg := strings.TrimSpace(string(res.Body))
		if json.Unmarshal(res.Body, &e) == nil && e.Error+e.Message != "" {
			msg = e.Error + e.Message
		}
		return fmt.Errorf("%s: %s", route, withFlags(msg))
	}
	return print(os.Stdout, res.Body)
}

func metricsCmd(args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	return resourceCmd(&c, "metrics", map[string]any{"metric": "", "payload": map[string]any{}}, printMetrics)
}

func printMetrics(w io.Writer, body []byte) error {
	var list []struct {
		Label    string `json:"label"`
		Value    string `json:"value"`
		Payloads []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"payloads"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("the plugin's metric list is not a list of metrics: %v", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tLABEL\tPAYLOAD FIELDS")
	for _, m := range list {
		fields := make([]string, len(m.Payloads))
		for i, p := range m.Payloads {
			fields[i] = printable(p.Name)
			if p.Type != "" {
				fields[i] += " (" + printable(p.Type) + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", printable(m.Value), printable(m.Label), strings.Join(fields, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d metrics\n", len(list))
	return err
}

// printFindValues prints Grafana's MetricFindValue list ({"text",
// "value"}), the answer of the ad hoc filter routes.
func printFindValues(noun string) func(io.Writer, []byte) error {
	return func(w io.Writer, body []byte) error {
		var list []struct {
			Text  string `json:"text"`
			Value any    `json:"value"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("the plugin's answer is not a list of %s: %v", noun, err)
		}
		for _, v := range list {
			line := printable(v.Text)
			if v.Value != nil && fmt.Sprint(v.Value) != v.Text {
				line += "\t(value " + printable(fmt.Sprint(v.Value)) + ")"
			}
			fmt.Fprintln(w, line)
		}
		_, err := fmt.Fprintf(w, "%d %s\n", len(list), noun)
		return err
	}
}

// rangeFlags are --from and --to.
type rangeFlags struct{ from, to string }

func (r *rangeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.from, "from", "now-6h", "start: "+timeForms)
	fs.StringVar(&r.to, "to", "now", "end: "+timeForms)
}

func (r *rangeFlags) parse() (backend.TimeRange, error) {
	tr, err := parseRange(r.from, r.to, time.Now())
	if err != nil {
		return tr, badFlag("%v", err)
	}
	return tr, nil
}

func tagKeysCmd(args []string) error {
	fs := flag.NewFlagSet("tag-keys", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	return resourceCmd(&c, "tag-keys", map[string]any{}, printFindValues("keys"))
}

func tagValuesCmd(args []string) error {
	fs := flag.NewFlagSet("tag-values", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	key := fs.String("key", "", "the ad hoc filter key whose values to list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*key) == "" {
		return badUsage("tag-values", "--key is required: name the key whose values to list (see tag-keys)")
	}
	if err := c.check(); err != nil {
		return err
	}
	return resourceCmd(&c, "tag-values", map[string]any{"key": *key}, printFindValues("values"))
}

// frameQuery runs one query of queryType through the plugin and prints
// its frames as tables.
func frameQuery(c *connFlags, queryType string, model map[string]any, tr backend.TimeRange) error {
	h, r, err := c.queryA(model, backend.DataQuery{
		QueryType: queryType, TimeRange: tr, MaxDataPoints: defaultMaxDataPoints,
		Interval: max(tr.Duration()/defaultMaxDataPoints, time.Millisecond),
	})
	if h != nil {
		defer h.Close()
	}
	if err != nil {
		return err
	}
	if r.Error != nil {
		printResponse(os.Stdout, "A", r)
		return errors.New(queryType + " query failed")
	}
	for _, f := range r.Frames {
		if f.Meta != nil {
			for _, n := range f.Meta.Notices {
				printNotice(os.Stdout, "A", n.Text)
			}
		}
		printTable(os.Stdout, "A", f)
	}
	return nil
}

func variableCmd(args []string) error {
	fs := flag.NewFlagSet("variable", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	var r rangeFlags
	r.register(fs)
	text := fs.String("query", "", "the variable's query, as typed in the variable editor")
	format := fs.String("format", "string", "string (the query is the target) or json (the query is a JSON object, the payload)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "string" && *format != "json" {
		return badFlag("--format %s: give string or json", *format)
	}
	if err := c.check(); err != nil {
		return err
	}
	tr, err := r.parse()
	if err != nil {
		return err
	}
	return frameQuery(&c, "variable", map[string]any{"query": *text, "format": *format}, tr)
}

func annotationsCmd(args []string) error {
	fs := flag.NewFlagSet("annotations", flag.ContinueOnError)
	var c connFlags
	c.register(fs)
	var r rangeFlags
	r.register(fs)
	text := fs.String("query", "", "a SimpleJSON annotation's query text, sent to POST /annotations")
	target := fs.String("target", "", "a metric whose table answer holds the events (the JSON datasource's way), sent to POST /query")
	payload := fs.String("payload", "{}", "with --target, the payload as a JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*text == "") == (*target == "") {
		return badUsage("annotations", "give --query (POST /annotations) or --target (events from POST /query), one of them")
	}
	if err := c.check(); err != nil {
		return err
	}
	tr, err := r.parse()
	if err != nil {
		return err
	}
	model := map[string]any{"query": *text, "name": "cli", "enable": true}
	if *target != "" {
		p, err := parsePayload(*payload)
		if err != nil {
			return err
		}
		model = map[string]any{"target": *target, "payload": p, "name": "cli", "enable": true}
	}
	return frameQuery(&c, "annotations", model, tr)
}
