package refserver

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// matches tells whether tags pass ad hoc filters, as Grafana's own data
// sources apply them: =, != and the anchored regular expressions =~ and
// !~ on the text, < and > on numbers (or on the text when either side is
// not a number). Each filter joins the result so far with its condition,
// AND unless it says OR. A filter on a key the series does not have
// passes: the demo data cannot tell it is wrong.
func matches(filters []contract.Filter, tags map[string]string) bool {
	result := true
	for i, f := range filters {
		v, ok := tags[f.Key]
		pass := !ok || match(f.Operator, v, f.Value)
		if i > 0 && strings.EqualFold(f.Condition, "OR") {
			result = result || pass
		} else {
			result = result && pass
		}
	}
	return result
}

func match(op, v, want string) bool {
	switch op {
	case "=", "":
		return v == want
	case "!=":
		return v != want
	case "=~", "!~":
		re, err := regexp.Compile("^(?:" + want + ")$")
		if err != nil {
			return false // an invalid pattern matches nothing
		}
		return re.MatchString(v) == (op == "=~")
	case "<", ">":
		a, aerr := strconv.ParseFloat(v, 64)
		b, berr := strconv.ParseFloat(want, 64)
		if aerr != nil || berr != nil {
			return (op == "<") == (v < want) && v != want
		}
		return (op == "<") == (a < b) && a != b
	}
	return false // an operator the server does not know selects nothing
}
