package models

// Names the backend routes on and the frontend sends. names.json states them
// for the frontend; these are constants so that switch cases can use them,
// and names_test.go keeps the two equal.
const (
	// QueryTypeMetrics is the query type of metric queries. Queries saved
	// without a type (every dashboard made before types existed) are
	// metric queries too.
	QueryTypeMetrics = "metrics"
	// QueryTypeVariable is a template variable's query: its answer is the
	// variable's options.
	QueryTypeVariable = "variable"
	// QueryTypeAnnotations is an annotation query: its answer is the
	// dashboard's annotation events.
	QueryTypeAnnotations = "annotations"

	// ResourceMetrics lists the service's metrics and their payload fields.
	ResourceMetrics = "metrics"
	// ResourceMetricPayloadOptions lists the options of one payload field.
	ResourceMetricPayloadOptions = "metric-payload-options"
	// ResourceTagKeys lists the keys ad hoc filters can use.
	ResourceTagKeys = "tag-keys"
	// ResourceTagValues lists the values of one ad hoc filter key.
	ResourceTagValues = "tag-values"

	// LayoutMulti (jsonData.layout, the default) sends each series as its
	// own timeseries-multi frame.
	LayoutMulti = "multi"
	// LayoutWide sends an answer whose series share their timestamps as
	// one timeseries-wide frame.
	LayoutWide = "wide"
)
