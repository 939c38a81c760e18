import { Settings } from '../settings';

/** Data source settings as Grafana hands them to the configuration page. */
export function settings(over: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'u',
    orgId: 1,
    name: 'In-house Metrics',
    type: 'inhouse-metrics-datasource',
    typeName: '',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    jsonData: {},
    secureJsonFields: {},
    ...over,
  } as Settings;
}
