package frames

import (
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/contract"
)

// The default bounds on one answer. A body within the response size limit
// can still decode to far more memory than it took on the wire (a nullable
// number cell holds 16 bytes for its 2 or 3 of JSON), and one query must
// not take the plugin, and every other panel it serves, down with it.
const (
	MaxPointsPerAnswer = 10_000_000
	MaxCellsPerAnswer  = 10_000_000
)

// Limits bounds what one answer may decode to. A zero Max means the
// default (MaxPointsPerAnswer, MaxCellsPerAnswer, no series limit), so
// Limits{} is safe; the data source's settings (models.Settings.Limits)
// give each its value and the words of its error.
type Limits struct {
	// Points counts the points of time series, from "datapoints" or from
	// frame-shaped items.
	Points contract.Limit
	// Cells counts table cells (a short row's missing cells too, since
	// they are stored as nulls, and a long row's extra cells, read to be
	// dropped), frame field values, columns and fields,
	// and every element of an array or object read whole (a cell that is
	// one, a column declared as an object).
	Cells contract.Limit
	// Series counts time series (each "datapoints" item, each number
	// field of a frame-shaped item). Every series costs two frames, their
	// Arrow schemas and legend entries in the browser, so a wide answer
	// hurts long before its points or cells do.
	Series contract.Limit
}

func (l Limits) withDefaults() Limits {
	if l.Points.Max <= 0 {
		l.Points.Max = MaxPointsPerAnswer
	}
	if l.Cells.Max <= 0 {
		l.Cells.Max = MaxCellsPerAnswer
	}
	return l
}

// LimitError is an answer larger than Limits allow. Decode returns it
// inside a *DecodeError: the service sent more than a query should get,
// which the client reports as the service's fault.
type LimitError = contract.LimitError

// How to narrow a query past each limit.
const (
	narrowSeries = "fewer series"
	narrowPoints = "a shorter range, fewer series, or a coarser interval"
	narrowCells  = "a shorter range, fewer rows, or fewer columns"
)

// addCells counts n more cells, failing once the answer holds more than
// the limit; callers count before storing, so nothing is built past it.
func (d *decoder) addCells(n int) error {
	d.cells += n
	if d.cells > d.limits.Cells.Max {
		if d.cellsWhat != "" {
			return &LimitError{What: d.cellsWhat, Limit: d.limits.Cells, Narrow: d.cellsNarrow}
		}
		return &LimitError{What: "cells", Limit: d.limits.Cells, Narrow: narrowCells}
	}
	return nil
}

// addRows counts n more rows of tables and frames against rowLimit, if
// there is one.
func (d *decoder) addRows(n int) error {
	if d.rowLimit.Max <= 0 {
		return nil
	}
	d.rows += n
	if d.rows > d.rowLimit.Max {
		return &LimitError{What: d.rowsWhat, Limit: d.rowLimit, Narrow: d.cellsNarrow}
	}
	return nil
}

func (d *decoder) tooManyPoints() error {
	return &LimitError{What: "points", Limit: d.limits.Points, Narrow: narrowPoints}
}

// addSeries counts n more series, failing once the answer holds more than
// the limit; callers count before building them, so a wide answer stops
// at the first series past the limit instead of at its end.
func (d *decoder) addSeries(n int) error {
	d.series += n
	if d.limits.Series.Max > 0 && d.series > d.limits.Series.Max {
		return &LimitError{What: "series", Limit: d.limits.Series, Narrow: narrowSeries}
	}
	return nil
}
