package models

import (
	"fmt"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// Bounds on the free text of a query model. Grafana passes whatever a
// dashboard holds, and a dashboard is anyone's to edit: a 1 MB alias,
// expanded for each of 400 series, took the plugin to 3 GB. Each bound is
// far above what a query needs and keeps what the text costs (in every
// frame, request and error that carries it) small.
const (
	MaxAliasBytes       = 1 << 10 // a legend template
	MaxTargetBytes      = 4 << 10 // a metric name or expression; a variable's or annotation's query text
	MaxRefIDBytes       = 256
	MaxFormatBytes      = 64 // format, type: one of a few words
	MaxFilters          = 100
	MaxFilterKeyBytes   = 1 << 10
	MaxFilterOpBytes    = 16
	MaxFilterValueBytes = 4 << 10
	MaxNameBytes        = 1 << 10 // an annotation's name
	MaxColorBytes       = 64
)

// textField is one free-text field of a model: its name as the user
// knows it, its text, its bound and where to shorten it.
type textField struct {
	name, text string
	limit      int
	where      string
}

// checkText refuses the first field longer than its bound, naming the
// field, its size and the bound.
func checkText(fields ...textField) error {
	for _, f := range fields {
		if len(f.text) > f.limit {
			return fmt.Errorf("%s is %s bytes, above the limit of %s bytes; shorten it in %s", f.name, contract.Thousands(len(f.text)), contract.Thousands(f.limit), f.where)
		}
	}
	return nil
}

const inEditor = "the query editor"

// checkFilters bounds the ad hoc filters a query carries: their number,
// and each key, operator, value and condition.
func checkFilters(filters []contract.Filter) error {
	if len(filters) > MaxFilters {
		return fmt.Errorf("the query has %s ad hoc filters, above the limit of %d; remove some in the dashboard's filter bar", contract.Thousands(len(filters)), MaxFilters)
	}
	const where = "the dashboard's filter bar"
	for i, f := range filters {
		n := fmt.Sprintf("ad hoc filter %d's ", i+1)
		if err := checkText(
			textField{n + "key", f.Key, MaxFilterKeyBytes, where},
			textField{n + "operator", f.Operator, MaxFilterOpBytes, where},
			textField{n + "value", f.Value, MaxFilterValueBytes, where},
			textField{n + "condition", f.Condition, MaxFilterOpBytes, where},
		); err != nil {
			return err
		}
	}
	return nil
}
