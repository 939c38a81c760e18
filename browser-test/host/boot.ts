// Grafana's server writes window.grafanaBootData into every page before any
// script runs; @grafana/runtime reads it when it is first imported, so this
// module is imported before it.

/** The version of the @grafana/* packages the host page is built with (vite.config.ts). */
declare const __GRAFANA_VERSION__: string;

(window as unknown as { grafanaBootData: unknown }).grafanaBootData = {
  settings: { appSubUrl: '', buildInfo: { version: __GRAFANA_VERSION__, edition: 'Open Source' }, featureToggles: {} },
  user: { login: 'admin', orgRole: 'Admin', timezone: 'utc', theme: 'dark' },
  navTree: [],
};
