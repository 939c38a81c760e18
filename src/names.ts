import names from '../pkg/models/names.json';

// Read from the file the backend's constants are tested against
// (pkg/models/names.go), so a rename on one side cannot go unnoticed.

/** The query type the backend routes metric queries by (models.QueryTypeMetrics); it treats queries saved without one the same. */
export const QUERY_TYPE_METRICS: string = names.queryTypes.metrics;

/** Template variable queries (models.QueryTypeVariable): the backend answers one frame of text and value fields. */
export const QUERY_TYPE_VARIABLE: string = names.queryTypes.variable;

/** Annotation queries (models.QueryTypeAnnotations): the backend answers one frame of events. */
export const QUERY_TYPE_ANNOTATIONS: string = names.queryTypes.annotations;

/** Resource route listing metrics and their payload fields (models.ResourceMetrics). */
export const RESOURCE_METRICS: string = names.resources.metrics;

/** Resource route listing one payload field's options (models.ResourceMetricPayloadOptions). */
export const RESOURCE_METRIC_PAYLOAD_OPTIONS: string = names.resources.metricPayloadOptions;

/** Resource route listing ad hoc filter keys (models.ResourceTagKeys). */
export const RESOURCE_TAG_KEYS: string = names.resources.tagKeys;

/** Resource route listing one ad hoc filter key's values (models.ResourceTagValues). */
export const RESOURCE_TAG_VALUES: string = names.resources.tagValues;

/** jsonData.layout (models.LayoutMulti, the default when absent): one timeseries-multi frame per series. */
export const LAYOUT_MULTI: string = names.layouts.multi;

/** jsonData.layout (models.LayoutWide): one timeseries-wide frame when every series of an answer shares its timestamps. */
export const LAYOUT_WIDE: string = names.layouts.wide;

/** The values the backend accepts for jsonData.layout. */
export const LAYOUTS: readonly string[] = Object.values(names.layouts);
