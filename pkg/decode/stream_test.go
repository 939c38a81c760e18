package decode

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// endless repeats an element for ever: a reader that does not stop at its
// limit never returns.
type endless struct{ elem string }

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n+len(e.elem) <= len(p) {
		n += copy(p[n:], e.elem)
	}
	return n, nil
}

func body(head, elem string) io.Reader { return io.MultiReader(strings.NewReader(head), endless{elem}) }

func rep(elem string, n int) string {
	return strings.TrimSuffix(strings.Repeat(elem+",", n), ",")
}

// TestListLimits: variable options, tag values and annotation events are
// read as they stream and refused at the first item, value or tag past
// their limit, with a *LimitError that says what to narrow and which
// setting to raise; endless answers stop there too.
func TestListLimits(t *testing.T) {
	small := contract.ListLimits{
		Items:     contract.Limit{Max: 3, Setting: `"Maximum list items" in the data source's settings`, Raise: "raise the setting"},
		ItemBytes: contract.Limit{Max: 16, Setting: `"Maximum item size"`, Raise: "raise the setting"},
		EventTags: contract.Limit{Max: 2, Setting: `"Maximum tags per event"`, Raise: "raise the setting"},
		Cells:     contract.Limit{Max: 40},
	}
	options := func(r io.Reader) error { _, err := ReadFindValues("POST /variable", r, small); return err }
	events := func(r io.Reader) error { _, err := ReadAnnotations("POST /annotations", r, small); return err }
	tables := func(r io.Reader) error { _, err := ReadAnnotationTables("POST /query", r, small); return err }
	metrics := func(r io.Reader) error { _, err := ReadMetrics("POST /metrics", r, small); return err }
	payloadOptions := func(r io.Reader) error { _, err := ReadOptions("POST /options", r, small); return err }
	ev := `{"time":1795903749000,"title":"t","tags":["a"]}`
	tests := []struct {
		name string
		read func(io.Reader) error
		body io.Reader
		want string // what the limit counts, or "" for no error
	}{
		{"options at the limit", options, strings.NewReader(`["a","b","c"]`), ""},
		{"options over the limit", options, strings.NewReader(`["a","b","c","d"]`), "options"},
		{"option objects over the limit", options, strings.NewReader(`[` + rep(`{"__text":"A","__value":"a"}`, 4) + `]`), "options"},
		{"endless options stop", options, body(`[`, `"x",`), "options"},
		{"frame cells count as options", options, strings.NewReader(`{"fields":[{"name":"v","values":["a","b","c","d"]}]}`), "options"},
		{"an endless frame column stops", options, body(`{"fields":[{"name":"v","values":[`, `"x",`), "options"},
		{"a long option", options, strings.NewReader(`["` + strings.Repeat("x", 17) + `"]`), "bytes in one value"},
		{"an option at the byte limit", options, strings.NewReader(`["` + strings.Repeat("x", 16) + `"]`), ""},
		{"an endless string stops", options, body(`["`, `xxxxxxxx`), "bytes in one value"},
		{"an endless option value stops", options, body(`[{"text":"`, `xxxxxxxx`), "bytes in one value"},
		{"events at the limit", events, strings.NewReader(`[` + rep(ev, 3) + `]`), ""},
		{"events over the limit", events, strings.NewReader(`[` + rep(ev, 4) + `]`), "events"},
		{"endless events stop", events, body(`[`, ev+`,`), "events"},
		{"tags over the limit", events, strings.NewReader(`[{"time":1795903749000,"tags":["a","b","c"]}]`), "tags in one event"},
		{"comma tags over the limit", events, strings.NewReader(`[{"time":1795903749000,"tags":"a,b,c"}]`), "tags in one event"},
		{"a tag list past the byte limit", events, strings.NewReader(`[{"time":1795903749000,"tags":["aaaaaa","bbbbbb","c"]}]`), "bytes in one value"},
		{"an endless comma list stops", events, body(`[{"time":1795903749000,"tags":"`, `a,b,c,d,`), "bytes in one value"},
		{"table rows over the limit", tables, strings.NewReader(`[{"columns":["time","title"],"rows":[` + rep(`[1795903749000,"t"]`, 4) + `]}]`), "events"},
		{"endless rows stop", tables, body(`[{"columns":["time","title"],"rows":[`, `[1795903749000,"t"],`), "events"},
		{"an endless row stops", tables, body(`[{"columns":["time"],"rows":[[1795903749000`, `,1`), "table cells"},
		{"other columns are skipped, not held", tables, strings.NewReader(`[{"columns":["time","x"],"rows":[[1795903749000,"` + strings.Repeat("y", 15) + `"]]}]`), ""},
		{"frame events over the limit", tables, strings.NewReader(`[{"fields":[{"name":"time","values":[` + rep(`1795903749000`, 4) + `]}]}]`), "events"},
		{"metrics at the limit", metrics, strings.NewReader(`["a",{"value":"b"},"c"]`), ""},
		{"metrics over the limit", metrics, strings.NewReader(`["a","b","c","d"]`), "metrics"},
		{"endless metrics stop", metrics, body(`[`, `"m",`), "metrics"},
		{"a long metric", metrics, strings.NewReader(`[{"value":"m","payloads":[` + rep(`{"name":"p"}`, 3) + `]}]`), "bytes in one value"},
		{"payload options over the limit", payloadOptions, strings.NewReader(`["a","b","c","d"]`), "options"},
		{"endless payload options stop", payloadOptions, body(`[`, `{"value":1},`), "options"},
		{"frame tags over the limit", tables, strings.NewReader(`[{"fields":[{"name":"time","values":[1795903749000]},{"name":"tags","values":[["a","b","c"]]}]}]`), "tags in one event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.body)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *contract.LimitError
			if !errors.As(err, &le) || le.What != tt.want {
				t.Fatalf("error %v (%T), want a limit on %s", err, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "the answer has more than ") || !strings.Contains(err.Error(), "narrow the query (") {
				t.Errorf("error %q does not say what to narrow", err)
			}
		})
	}
}

// The limits' error names the setting and who can raise it.
func TestListLimitText(t *testing.T) {
	_, err := ReadFindValues("POST /tag-values", strings.NewReader(`["a","b"]`), contract.ListLimits{Items: contract.Limit{Max: 1, Setting: `"Maximum list items" in the data source's settings`, Raise: "raise the setting"}})
	want := `the answer has more than 1 options, the limit set by "Maximum list items" in the data source's settings; narrow the query (a more specific query or filter) or raise the setting`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// An error that quotes the answer scrubs it before cutting the quote, so
// a secret that starts inside the quote does not leave its first bytes.
func TestListErrorsScrubBeforeTheCut(t *testing.T) {
	secret := "Bearer " + strings.Repeat("k", 5000)
	scrub := func(s string) string { return strings.ReplaceAll(s, secret, "[redacted]") }
	for _, b := range []string{
		`{"oops":"` + strings.Repeat("x", 40) + secret + `"`,
		`oops ` + strings.Repeat("x", 40) + secret,
		`[["` + strings.Repeat("x", 30) + secret + `"]]`,
	} {
		_, err := ReadFindValues("POST /variable", strings.NewReader(b), contract.ListLimits{Scrub: scrub, ItemBytes: contract.Limit{Max: 1 << 20}})
		if err == nil || strings.Contains(err.Error(), "Bearer k") {
			t.Errorf("error %v quotes the secret", err)
		}
	}
}
