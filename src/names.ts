import names from '../pkg/models/names.json';

// Read from the file the backend's constants are tested against
// (pkg/models/names.go), so a rename on one side cannot go unnoticed.

/** The query type the backend routes metric queries by (models.QueryTypeMetrics); it treats queries saved without one the same. */
export const QUERY_TYPE_METRICS: string = names.queryTypes.metrics;

/** Resource route listing metrics and their payload fields (models.ResourceMetrics). */
export const RESOURCE_METRICS: string = names.resources.metrics;

/** Resource route listing one payload field's options (models.ResourceMetricPayloadOptions). */
export const RESOURCE_METRIC_PAYLOAD_OPTIONS: string = names.resources.metricPayloadOptions;
