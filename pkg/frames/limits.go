package frames

import (
	"fmt"
	"strconv"
)

// The default bounds on one answer. A body within the response size limit
// can still decode to far more memory than it took on the wire (a nullable
// number cell holds 16 bytes for its 2 or 3 of JSON), and one query must
// not take the plugin, and every other panel it serves, down with it.
const (
	MaxPointsPerAnswer = 10_000_000
	MaxCellsPerAnswer  = 10_000_000
)

// Limits bounds what one answer may decode to. A zero field means its
// default (MaxPointsPerAnswer, MaxCellsPerAnswer), so Limits{} is safe.
type Limits struct {
	// Points counts the points of time series, from "datapoints" or from
	// frame-shaped items.
	Points int
	// Cells counts table cells (a short row's missing cells too, since
	// they are stored as nulls), frame field values, columns and fields,
	// and every element of an array or object read whole (a cell that is
	// one, a column declared as an object).
	Cells int
	// Series counts time series (each "datapoints" item, each number
	// field of a frame-shaped item); 0 means no limit of its own, since
	// the data source's setting (models.Settings.MaxSeries) provides it.
	// Every series costs two frames, their Arrow schemas and legend
	// entries in the browser, so a wide answer hurts long before its
	// points or cells do.
	Series int
	// SeriesSetting names the setting Series comes from, and SeriesRaise
	// says who can raise it, for the error.
	SeriesSetting, SeriesRaise string
}

func (l Limits) withDefaults() Limits {
	if l.Points <= 0 {
		l.Points = MaxPointsPerAnswer
	}
	if l.Cells <= 0 {
		l.Cells = MaxCellsPerAnswer
	}
	return l
}

// LimitError is an answer larger than Limits allow. Decode returns it
// inside a *DecodeError: the service sent more than a query should get,
// which the client reports as the service's fault.
type LimitError struct {
	What  string // "points", "cells" or "series"
	Limit int
	// Setting names the setting the limit comes from, and Raise who can
	// raise it; empty for the plugin's own limits.
	Setting, Raise string
}

// OverLimit tells the client the answer is too large, not malformed.
func (e *LimitError) OverLimit() bool { return true }

func (e *LimitError) Error() string {
	if e.Setting != "" {
		return fmt.Sprintf("the answer has more than %s %s, the limit set by %s; narrow the query or %s", thousands(e.Limit), e.What, e.Setting, e.Raise)
	}
	how := "a shorter range, fewer series, or a coarser interval"
	if e.What == "cells" {
		how = "a shorter range, fewer rows, or fewer columns"
	}
	return fmt.Sprintf("the answer has more than %s %s, the plugin's limit for one query; narrow the query (%s)", thousands(e.Limit), e.What, how)
}

// thousands writes n with comma separators, as people read limits.
func thousands(n int) string {
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

// addCells counts n more cells, failing once the answer holds more than
// the limit; callers count before storing, so nothing is built past it.
func (d *decoder) addCells(n int) error {
	d.cells += n
	if d.cells > d.limits.Cells {
		return &LimitError{What: "cells", Limit: d.limits.Cells}
	}
	return nil
}

func (d *decoder) tooManyPoints() error {
	return &LimitError{What: "points", Limit: d.limits.Points}
}

// addSeries counts n more series, failing once the answer holds more than
// the limit; callers count before building them, so a wide answer stops
// at the first series past the limit instead of at its end.
func (d *decoder) addSeries(n int) error {
	d.series += n
	if d.limits.Series > 0 && d.series > d.limits.Series {
		return &LimitError{What: "series", Limit: d.limits.Series, Setting: d.limits.SeriesSetting, Raise: d.limits.SeriesRaise}
	}
	return nil
}
