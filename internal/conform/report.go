package conform

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the report for a person: one row per check, the
// advice under each warning or failure, and a verdict line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "CHECK\tRESULT\tDETAIL\n")
	group := ""
	for _, res := range r.Results {
		if res.Group != group {
			group = res.Group
			fmt.Fprintf(tw, "%s\t\t\n", strings.ToUpper(group))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", res.Check, res.Status, res.Detail)
		if res.Advice != "" {
			fmt.Fprintf(tw, "\t\t-> %s\n", res.Advice)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "conforms"
	if !r.OK() {
		verdict = "does not conform"
	}
	_, err := fmt.Fprintf(w, "\n%s %s: %d passed, %d warnings, %d failures\n", r.URL, verdict, r.Passed, r.Warned, r.Failed)
	return err
}

// WriteJSON prints the report for machines.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// count writes n with its noun, singular for one, as the report's details
// are read by people ("1 item", not "1 items").
func count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, plural)
}
