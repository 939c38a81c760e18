import './boot';
import './monaco';

import { createContext, useCallback, useContext, useEffect, useState, version as reactVersion } from 'react';
import { createRoot } from 'react-dom/client';
import {
  AdHocVariableFilter,
  AppEvents,
  CoreApp,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourcePlugin,
  DataSourceSettings,
  EventBusSrv,
} from '@grafana/data';
import { setAppEvents, setBackendSrv, setGrafanaLiveSrv, setTemplateSrv } from '@grafana/runtime';
import { Alert, Button, GlobalStyles, Stack } from '@grafana/ui';

import { fakeTemplateSrv } from '../../src/test/templateSrv';
import { browserBackendSrv } from './backendSrv';
import { answer, Dashboard, describeFrames, hostRequest, Query } from './dashboard';
import { eventSourceLiveSrv } from './live';
import { LivePanel } from './livePanel';
import { loadPluginModule } from './shared';

// The ui command serves one data source with this uid.
const UID = 'inhouse';
const API = `/api/datasources/uid/${UID}`;

type Settings = DataSourceSettings;
type Plugin = DataSourcePlugin<DataSourceApi<Query>, Query>;

const backendSrv = browserBackendSrv();
setBackendSrv(backendSrv);
// Dashboard variables the pickers offer, as a dashboard would define them.
// $host: a multi-value variable set to "All" over 150 hosts, as a dashboard saved for the JSON datasource has it.
const templateSrv = fakeTemplateSrv({
  service: ['checkout', 'search'],
  region: 'eu-west',
  host: { current: '$__all', options: Array.from({ length: 150 }, (_, i) => `web-${i + 1}.dc`), multi: true, includeAll: true },
});
setTemplateSrv(templateSrv);
const setVariable = (name: string, value: string) => {
  templateSrv.vars[name] = value;
};
// Grafana shows what plugins publish here as toasts.
const appEvents = new EventBusSrv();
setAppEvents(appEvents);
// Live queries' frames carry a channel, which DataSourceWithBackend streams through this.
setGrafanaLiveSrv(eventSourceLiveSrv());

function instanceSettings(s: Settings, plugin: Plugin): DataSourceInstanceSettings {
  return {
    id: s.id,
    uid: s.uid,
    type: s.type,
    name: s.name,
    access: 'proxy',
    readOnly: false,
    jsonData: s.jsonData,
    meta: plugin.meta ?? { id: s.type },
  } as DataSourceInstanceSettings;
}

function Host({ plugin }: { plugin: Plugin }) {
  const ConfigEditor = plugin.components.ConfigEditor!;
  const [settings, setSettings] = useState<Settings>();
  const [health, setHealth] = useState<{ ok: boolean; message: string }>();
  const [datasource, setDatasource] = useState<DataSourceApi<Query>>();
  const [filters, setFilters] = useState<AdHocVariableFilter[]>([]);
  const [dashboard, setDashboard] = useState(false);

  // As in Grafana, the query editor gets a data source built from the saved settings.
  const apply = useCallback(
    (s: Settings) => {
      setSettings(s);
      setDatasource(new plugin.DataSourceClass(instanceSettings(s, plugin)));
    },
    [plugin]
  );
  const load = useCallback(async () => apply((await backendSrv.get(API)) as Settings), [apply]);

  useEffect(() => {
    let live = true;
    backendSrv.get(API).then((s) => live && apply(s as Settings));
    return () => {
      live = false;
    };
  }, [apply]);

  const saveAndTest = async () => {
    if (!settings) {
      return;
    }
    setHealth(undefined);
    await backendSrv.put(API, settings);
    await load();
    try {
      const res = (await backendSrv.get(`${API}/health`)) as { message: string };
      setHealth({ ok: true, message: res.message });
    } catch (e) {
      const err = e as { data?: { message?: string } };
      setHealth({ ok: false, message: err.data?.message ?? String(e) });
    }
  };

  const run = async (q: Query): Promise<string> => {
    if (!datasource) {
      return 'no data source';
    }
    return describeFrames(await answer(datasource.query(hostRequest([q], filters))));
  };

  if (!settings) {
    return <p>Loading settings…</p>;
  }
  return (
    <div style={{ padding: 24, maxWidth: 1100 }}>
      <section data-testid="config-page">
        <h2>Configuration</h2>
        <ConfigEditor options={settings} onOptionsChange={setSettings} />
        <Stack gap={2} direction="column">
          <div>
            <Button onClick={saveAndTest}>Save &amp; test</Button>
          </div>
          {health && (
            <div data-testid="health-result">
              <Alert severity={health.ok ? 'success' : 'error'} title={health.ok ? 'Save & test passed' : 'Save & test failed'}>
                {health.message}
              </Alert>
            </div>
          )}
        </Stack>
      </section>
      <section data-testid="query-page" style={{ marginTop: 48 }}>
        <h2>Query editors</h2>
        {/* Two queries of one panel, as Grafana shows them: ids and labels must not cross. */}
        {datasource &&
          ['A', 'B'].map((refId) => (
            <QueryRow key={`${refId}-${settings.version ?? ''}-${settings.url}`} refId={refId} datasource={datasource} run={run} />
          ))}
      </section>
      {/* Opened once the data source works, as a dashboard is: its variables and panel run at once. */}
      {datasource && !dashboard && (
        <div style={{ marginTop: 48 }}>
          <Button onClick={() => setDashboard(true)}>Open dashboard</Button>
        </div>
      )}
      {datasource && dashboard && <Dashboard datasource={datasource} setVariable={setVariable} filters={filters} setFilters={setFilters} />}
      {datasource && dashboard && <LivePanel datasource={datasource} Editor={plugin.components.QueryEditor!} />}
      <Notifications />
    </div>
  );
}

/** One query's editor and what its last run returned. */
function QueryRow({ refId, datasource, run }: { refId: string; datasource: DataSourceApi<Query>; run: (q: Query) => Promise<string> }) {
  const plugin = usePlugin();
  const QueryEditor = plugin.components.QueryEditor!;
  const [query, setQuery] = useState<Query>({ refId });
  const [result, setResult] = useState<string>();
  return (
    <div data-testid={`query-${refId}`} style={{ marginTop: 24 }}>
      <QueryEditor
        datasource={datasource}
        query={query}
        app={CoreApp.PanelEditor}
        onChange={(q) => setQuery(q)}
        onRunQuery={() => setQuery((q) => (run(q).then(setResult), q))}
      />
      <pre data-testid={refId === 'A' ? 'query-result' : `query-result-${refId}`} style={{ marginTop: 16, whiteSpace: 'pre-wrap' }}>
        {result ?? 'No query run yet'}
      </pre>
    </div>
  );
}

/** App events published for Grafana's toasts, listed instead. */
function Notifications() {
  const [shown, setShown] = useState<string[]>([]);
  useEffect(() => {
    const kinds = [AppEvents.alertSuccess, AppEvents.alertWarning, AppEvents.alertError];
    const show = (payload: unknown) => setShown((s) => [...s, (payload as string[]).join(': ')]);
    kinds.forEach((k) => appEvents.on(k, show));
    return () => kinds.forEach((k) => appEvents.off(k, show));
  }, []);
  return (
    <section data-testid="app-notifications" style={{ marginTop: 48 }}>
      <h2>Notifications</h2>
      {shown.map((n, i) => (
        <Alert key={i} severity="warning" title={n} />
      ))}
    </section>
  );
}

const PluginContext = createContext<Plugin | undefined>(undefined);
const usePlugin = () => useContext(PluginContext)!;

async function main() {
  const container = document.getElementById('root')!;
  // The React the host page runs, read by run.mjs.
  container.dataset.react = reactVersion;
  const root = createRoot(container);
  try {
    const exports = await loadPluginModule('/public/plugins/inhouse-metrics-datasource/module.js');
    const plugin = exports.plugin as Plugin;
    if (!plugin?.DataSourceClass || !plugin.components.ConfigEditor || !plugin.components.QueryEditor) {
      throw new Error('module.js does not export a data source plugin with both editors');
    }
    root.render(
      <>
        <GlobalStyles />
        <PluginContext.Provider value={plugin}>
          <Host plugin={plugin} />
        </PluginContext.Provider>
      </>
    );
  } catch (e) {
    root.render(<pre data-testid="load-error">{String(e)}</pre>);
    throw e;
  }
}

main();
