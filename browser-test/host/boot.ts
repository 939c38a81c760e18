// Grafana's server writes window.grafanaBootData into every page before any
// script runs; @grafana/runtime reads it when it is first imported, so this
// module is imported before it.
(window as unknown as { grafanaBootData: unknown }).grafanaBootData = {
  settings: { appSubUrl: '', buildInfo: { version: '13.2.2', edition: 'Open Source' }, featureToggles: {} },
  user: { login: 'admin', orgRole: 'Admin', timezone: 'utc', theme: 'dark' },
  navTree: [],
};
