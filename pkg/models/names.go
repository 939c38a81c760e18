package models

// Names the backend routes on and the frontend sends. names.json states them
// for the frontend; these are constants so that switch cases can use them,
// and names_test.go keeps the two equal.
const (
	// QueryTypeMetrics is the query type of metric queries. Queries saved
	// without a type (every dashboard made before types existed) are
	// metric queries too.
	QueryTypeMetrics = "metrics"

	// ResourceMetrics lists the service's metrics and their payload fields.
	ResourceMetrics = "metrics"
	// ResourceMetricPayloadOptions lists the options of one payload field.
	ResourceMetricPayloadOptions = "metric-payload-options"
)
