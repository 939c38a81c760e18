package refserver

import (
	"testing"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

func TestMatches(t *testing.T) {
	tags := map[string]string{"service": "checkout", "region": "eu-west", "shard": "12"}
	f := func(key, op, value string) contract.Filter {
		return contract.Filter{Key: key, Operator: op, Value: value}
	}
	or := func(c contract.Filter) contract.Filter { c.Condition = "OR"; return c }
	tests := []struct {
		name    string
		filters []contract.Filter
		want    bool
	}{
		{"none", nil, true},
		{"=", []contract.Filter{f("service", "=", "checkout")}, true},
		{"= other", []contract.Filter{f("service", "=", "search")}, false},
		{"!=", []contract.Filter{f("service", "!=", "search")}, true},
		{"=~ anchored", []contract.Filter{f("region", "=~", "eu-.*")}, true},
		{"=~ is anchored", []contract.Filter{f("region", "=~", "eu")}, false},
		{"!~", []contract.Filter{f("region", "!~", "us-.*")}, true},
		{"invalid pattern matches nothing", []contract.Filter{f("region", "=~", "(")}, false},
		{"< on numbers", []contract.Filter{f("shard", "<", "9")}, false},
		{"> on numbers", []contract.Filter{f("shard", ">", "9")}, true},
		{"< on text", []contract.Filter{f("service", "<", "d")}, true},
		{"unknown key passes", []contract.Filter{f("version", "=", "v1")}, true},
		{"unknown operator selects nothing", []contract.Filter{f("service", "=|", "checkout")}, false},
		{"AND", []contract.Filter{f("service", "=", "checkout"), f("region", "=", "us-east")}, false},
		{"OR", []contract.Filter{f("service", "=", "search"), or(f("region", "=", "eu-west"))}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(tt.filters, tags); got != tt.want {
				t.Errorf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}
