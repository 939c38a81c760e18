import { DataSourceInstanceSettings, DataSourcePluginMeta } from '@grafana/data';

import { JsonData } from '../types';

export function instanceSettings(jsonData: JsonData = {}): DataSourceInstanceSettings<JsonData> {
  return {
    id: 1,
    uid: 'inhouse-uid',
    type: 'inhouse-metrics-datasource',
    name: 'In-house Metrics',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: { id: 'inhouse-metrics-datasource' } as DataSourcePluginMeta,
  } as DataSourceInstanceSettings<JsonData>;
}
