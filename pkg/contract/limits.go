package contract

import (
	"fmt"
	"strconv"
)

// Limit is one bound on what an answer may decode to, with the words the
// error that refuses an answer past it needs: which setting decided it
// and who can raise it.
type Limit struct {
	Max int
	// Setting names the setting the bound comes from (the data source's,
	// or the Grafana operator's ceiling on it) and Raise says who can
	// raise it; both empty for a bound the plugin sets alone.
	Setting, Raise string
}

// LimitError is an answer larger than a Limit allows. The service sent
// more than a query should get: the client reports it as the service's
// answer being too large, not as an answer that breaks the contract.
type LimitError struct {
	// What is counted: "series", "points", "options", "tags in one
	// event", "bytes in one value"...
	What  string
	Limit Limit
	// Narrow says how to ask for less, for the query it is about.
	Narrow string
}

// OverLimit tells the client the answer is too large, not malformed.
func (e *LimitError) OverLimit() bool { return true }

func (e *LimitError) Error() string {
	how := ""
	if e.Narrow != "" {
		how = " (" + e.Narrow + ")"
	}
	if e.Limit.Setting != "" {
		return fmt.Sprintf("the answer has more than %s %s, the limit set by %s; narrow the query%s or %s", Thousands(e.Limit.Max), e.What, e.Limit.Setting, how, e.Limit.Raise)
	}
	return fmt.Sprintf("the answer has more than %s %s, the plugin's limit for one query; narrow the query%s", Thousands(e.Limit.Max), e.What, how)
}

// Thousands writes n with comma separators, as people read limits.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// ListLimits bounds a list answer: a template variable's options (from
// /variable or /search), ad hoc filter keys and values, and annotation
// events. A zero Max means the default below, so ListLimits{} is safe.
type ListLimits struct {
	// Items counts options, and events of an annotation answer.
	Items Limit
	// ItemBytes bounds the JSON text of one value read: an option's text
	// or value, an event's title, text or tags (the list, or the comma
	// separated string), a frame or table cell.
	ItemBytes Limit
	// EventTags bounds the tags of one event.
	EventTags Limit
	// Cells counts the cells of tables and frames read for options or
	// events, which are held until the item ends.
	Cells Limit
	// Scrub is applied to any text of the answer an error quotes.
	Scrub func(string) string
}

// Defaults of ListLimits, which the data source settings of the same
// names override (pkg/models/settings.json).
const (
	DefaultMaxListItems = 100_000
	DefaultMaxItemBytes = 64 << 10
	DefaultMaxEventTags = 100
	DefaultMaxCells     = 10_000_000
)

// WithDefaults is l with every unset limit at its default and a scrubber
// that keeps text as it is when none is set.
func (l ListLimits) WithDefaults() ListLimits {
	for _, d := range []struct {
		lim *Limit
		def int
	}{{&l.Items, DefaultMaxListItems}, {&l.ItemBytes, DefaultMaxItemBytes}, {&l.EventTags, DefaultMaxEventTags}, {&l.Cells, DefaultMaxCells}} {
		if d.lim.Max <= 0 {
			d.lim.Max = d.def
		}
	}
	if l.Scrub == nil {
		l.Scrub = func(s string) string { return s }
	}
	return l
}
