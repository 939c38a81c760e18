import { useState } from 'react';
import { CoreApp } from '@grafana/data';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { installBackend, ResourceCall } from '../test/backendSrv';
import { instanceSettings } from '../test/instance';
import { fakeTemplateSrv, Vars } from '../test/templateSrv';
import { IdentityJsonData } from '../identity';
import { JsonData, Metric, Query } from '../types';
import { QueryEditor } from './QueryEditor';

const METRICS: Metric[] = [
  { label: 'CPU usage', value: 'cpu', payloads: [] },
  {
    label: 'Requests',
    value: 'requests',
    payloads: [
      { name: 'region', label: 'Region', type: 'select' },
      { name: 'zone', label: 'Zone', type: 'select' },
      { name: 'codes', label: 'Status codes', type: 'multi-select', options: [{ label: '2xx', value: '2xx' }, { label: '5xx', value: '5xx' }] },
      { name: 'cached', label: 'Cached', type: 'select', options: [{ label: 'Yes', value: true }, { label: 'No', value: false }] },
      { name: 'path', label: 'Path', type: 'input', placeholder: '/api' },
      { name: 'filter', label: 'Filter', type: 'textarea' },
    ],
  },
];

const ZONES: Record<string, Array<{ label: string; value: string }>> = {
  eu: [{ label: 'eu-1', value: 'eu-1' }, { label: 'eu-2', value: 'eu-2' }],
  asia: [{ label: 'asia-1', value: 'asia-1' }],
};

/** The backend's resource routes: zones depend on the chosen region, as in zone-by-region. */
function backend({ fail = false, metrics = METRICS }: { fail?: boolean; metrics?: Metric[] } = {}) {
  return installBackend((call: ResourceCall) => {
    if (fail) {
      return { status: 502, data: { error: 'in-house service: connection refused at metrics.internal:8080' } };
    }
    if (call.url.endsWith('/metrics')) {
      return { status: 200, data: metrics };
    }
    const { name, payload } = call.data as { name: string; payload: Record<string, string> };
    if (name === 'zone') {
      return { status: 200, data: ZONES[payload.region] ?? [] };
    }
    return { status: 200, data: [{ label: 'Europe', value: 'eu' }, { label: 'Asia', value: 'asia' }] };
  });
}

interface EditorOptions {
  vars?: Vars;
  app?: CoreApp;
  refIds?: string[];
  jsonData?: JsonData & IdentityJsonData;
}

/** Renders one editor per refId, each keeping its own query as Grafana does. */
function renderEditors(initial: Partial<Query>, { vars = { region: 'eu' }, app, refIds = ['A'], jsonData }: EditorOptions = {}) {
  const templateSrv = fakeTemplateSrv(vars);
  const datasource = new DataSource(instanceSettings(jsonData), templateSrv);
  const changes: Query[] = [];
  let runs = 0;
  function Editor({ refId }: { refId: string }) {
    const [query, setQuery] = useState<Query>({ refId, ...initial });
    return (
      <div data-testid={`editor-${refId}`}>
        <QueryEditor
          datasource={datasource}
          query={query}
          app={app}
          onChange={(q) => {
            changes.push(q);
            setQuery(q);
          }}
          onRunQuery={() => runs++}
        />
      </div>
    );
  }
  render(
    <>
      {refIds.map((r) => (
        <Editor key={r} refId={r} />
      ))}
    </>
  );
  return { changes, last: () => changes[changes.length - 1], runs: () => runs, templateSrv };
}

const renderEditor = (initial: Partial<Query>, options?: EditorOptions) => renderEditors(initial, options);

async function open(name: string | RegExp, scope: HTMLElement = document.body) {
  await userEvent.click(within(scope).getByRole('combobox', { name }));
  return within(document.body).findAllByRole('option');
}

async function pick(name: string | RegExp, optionText: string, scope?: HTMLElement) {
  const options = await open(name, scope);
  const option = options.find((o) => o.textContent?.includes(optionText));
  if (!option) {
    throw new Error(`no option "${optionText}" among ${options.map((o) => o.textContent).join(' | ')}`);
  }
  await userEvent.click(option);
}

const optionTexts = async (name: string | RegExp) => (await open(name)).map((o) => o.textContent);

/** The options a field offers besides dashboard variables, once `last` has loaded. */
async function loadedOptions(name: string, last: string) {
  await userEvent.click(screen.getByRole('combobox', { name }));
  await screen.findByRole('option', { name: last });
  return screen.getAllByRole('option').map((o) => o.textContent).filter((t) => !t?.startsWith('$'));
}

describe('QueryEditor', () => {
  it('lists the metrics from the backend and runs the query on choice', async () => {
    const calls = backend();
    const editor = renderEditor({});
    await waitFor(() => expect(calls.length).toBeGreaterThan(0));
    await pick('Metric', 'CPU usage');
    expect(editor.last().target).toBe('cpu');
    expect(editor.runs()).toBe(1);
    expect(calls[0].url).toBe('/api/datasources/uid/inhouse-uid/resources/metrics');
  });

  it('labels every control, found by role and name', async () => {
    backend();
    renderEditor({ target: 'requests', payload: { region: 'eu' } });
    await screen.findByRole('combobox', { name: 'Region' });
    const controls: Array<[string, string | RegExp]> = [
      ['combobox', 'Metric'],
      ['radiogroup', 'Format'],
      ['radio', 'Time series'],
      ['radio', 'Table'],
      ['textbox', /^Legend/],
      ['switch', 'Live'],
      ['combobox', 'Region'],
      ['combobox', 'Zone'],
      ['combobox', 'Status codes'],
      ['combobox', 'Cached'],
      ['textbox', 'Path'],
      ['textbox', 'Filter'],
    ];
    for (const [role, name] of controls) {
      expect(screen.getByRole(role, { name })).toBeInTheDocument();
    }
  });

  it('labels the JSON text payload', async () => {
    backend();
    renderEditor({ target: 'cpu', payload: '{"a": 1}' });
    expect(await screen.findByRole('textbox', { name: /^Payload \(JSON\)/ })).toHaveValue('{"a": 1}');
    await screen.findByRole('combobox', { name: 'Metric' });
  });

  it('gives every element of two open editors its own id, and labels point into their own editor', async () => {
    backend();
    const editors = renderEditors({ target: 'requests' }, { refIds: ['A', 'B'] });
    await waitFor(() => expect(screen.getAllByRole('combobox', { name: 'Region' })).toHaveLength(2));
    const ids = Array.from(document.querySelectorAll('[id]')).map((e) => e.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const refId of ['A', 'B']) {
      const editor = screen.getByTestId(`editor-${refId}`);
      const labels = Array.from(editor.querySelectorAll('label[for]'));
      expect(labels.length).toBeGreaterThan(5);
      for (const label of labels) {
        const target = document.getElementById(label.getAttribute('for')!);
        expect(target, `label "${label.textContent}" of ${refId}`).not.toBeNull();
        expect(editor.contains(target), `label "${label.textContent}" of ${refId} points into the other editor`).toBe(true);
      }
    }
    await pick('Region', 'Asia', screen.getByTestId('editor-B'));
    expect(editors.last()).toMatchObject({ refId: 'B', payload: { region: 'asia' } });
    expect(within(screen.getByTestId('editor-A')).getByRole('combobox', { name: 'Region' })).toHaveValue('');
  });

  it('offers dashboard variables as metrics', async () => {
    backend();
    const editor = renderEditor({});
    await pick('Metric', '$region');
    expect(editor.last().target).toBe('$region');
  });

  it('offers a variable added after the editor opened', async () => {
    backend();
    const editor = renderEditor({});
    expect(await optionTexts('Metric')).not.toContain('$service');
    await userEvent.keyboard('{Escape}');
    editor.templateSrv.vars.service = 'checkout';
    expect((await optionTexts('Metric')).some((t) => t?.includes('$service'))).toBe(true);
  });

  it('shows the payload fields of a metric chosen through a variable', async () => {
    backend();
    renderEditor({ target: '$metric' }, { vars: { metric: 'requests' } });
    expect(await screen.findByRole('combobox', { name: 'Region' })).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Path' })).toHaveAttribute('placeholder', '/api');
  });

  it('renders the payload fields of the chosen metric', async () => {
    backend();
    renderEditor({ target: 'requests' });
    expect(await screen.findByLabelText('Region')).toBeInTheDocument();
    expect(screen.getByLabelText('Status codes')).toBeInTheDocument();
    expect(screen.getByLabelText('Path')).toHaveAttribute('placeholder', '/api');
    expect(screen.getByLabelText('Filter').tagName).toBe('TEXTAREA');
  });

  it('loads select options from the service when the definition lists none', async () => {
    const calls = backend();
    const editor = renderEditor({ target: 'requests' });
    await screen.findByLabelText('Region');
    await pick('Region', 'Europe');
    expect(editor.last().payload).toEqual({ region: 'eu' });
    const optionCall = calls.find((c) => c.url.endsWith('/metric-payload-options'));
    expect(optionCall?.data).toEqual({ metric: 'requests', name: 'region', payload: {} });
  });

  it('fetches options again when the payload they depend on changes', async () => {
    const calls = backend();
    renderEditor({ target: 'requests', payload: { region: 'eu' } });
    await screen.findByRole('combobox', { name: 'Zone' });
    expect(await loadedOptions('Zone', 'eu-2')).toEqual(['eu-1', 'eu-2']);
    await userEvent.keyboard('{Escape}');
    await pick('Region', 'Asia');
    expect(await loadedOptions('Zone', 'asia-1')).toEqual(['asia-1']);
    const zoneCalls = calls.filter((c) => (c.data as { name?: string }).name === 'zone').map((c) => c.data);
    expect(zoneCalls).toEqual([
      { metric: 'requests', name: 'zone', payload: { region: 'eu' } },
      { metric: 'requests', name: 'zone', payload: { region: 'asia' } },
    ]);
    // The same payload again: no second call.
    await userEvent.keyboard('{Escape}');
    await open('Zone');
    expect(calls.filter((c) => (c.data as { name?: string }).name === 'zone')).toHaveLength(2);
  });

  it('keeps several values of a multi-select', async () => {
    backend();
    const editor = renderEditor({ target: 'requests', payload: { codes: ['2xx'] } });
    await screen.findByLabelText('Status codes');
    await pick('Status codes', '5xx');
    expect(editor.last().payload).toEqual({ codes: ['2xx', '5xx'] });
  });

  it('keeps boolean option values as booleans', async () => {
    backend();
    const editor = renderEditor({ target: 'requests' });
    await screen.findByLabelText('Cached');
    await pick('Cached', 'No');
    expect(editor.last().payload).toEqual({ cached: false });
  });

  it('commits text fields on blur, not on every key', async () => {
    backend();
    const editor = renderEditor({ target: 'requests' });
    await userEvent.type(await screen.findByLabelText('Path'), '/api/v1');
    expect(editor.changes).toHaveLength(0);
    await userEvent.tab();
    expect(editor.last().payload).toEqual({ path: '/api/v1' });
    expect(editor.runs()).toBe(1);
  });

  it('sets format and legend', async () => {
    backend();
    const editor = renderEditor({ target: 'cpu', type: 'timeserie' });
    await screen.findByRole('combobox', { name: 'Metric' });
    await userEvent.click(screen.getByRole('radio', { name: 'Table' }));
    expect(editor.last()).toMatchObject({ format: 'table', type: undefined });
    await userEvent.type(screen.getByRole('textbox', { name: /^Legend/ }), '{{{{host}}');
    await userEvent.keyboard('{Enter}');
    expect(editor.last().alias).toBe('{{host}}');
  });

  it('does not offer the table format in alert rules', async () => {
    backend();
    renderEditor({ target: 'cpu' }, { app: CoreApp.UnifiedAlerting });
    await screen.findByRole('combobox', { name: 'Metric' });
    expect(screen.getByRole('radio', { name: 'Time series' })).toBeChecked();
    expect(screen.queryByRole('radio', { name: 'Table' })).not.toBeInTheDocument();
  });

  it('says what to change when an alert rule query asks for a table', async () => {
    backend();
    renderEditor({ target: 'cpu', format: 'table' }, { app: CoreApp.UnifiedAlerting });
    expect(await screen.findByTestId('alerting-table')).toHaveTextContent('Alert rules use time series');
  });

  describe('Live switch', () => {
    it('turns live on and off, running the query each time', async () => {
      backend();
      const editor = renderEditor({ target: 'cpu' });
      const live = await screen.findByRole('switch', { name: 'Live' });
      expect(live).not.toBeChecked();
      await userEvent.click(live);
      expect(editor.last()).toMatchObject({ target: 'cpu', live: true });
      expect(live).toBeChecked();
      expect(editor.runs()).toBe(1);
      await userEvent.click(live);
      expect(editor.last().live).toBeUndefined();
      expect(editor.runs()).toBe(2);
    });

    const tableCases: Array<{ name: string; initial: Partial<Query> }> = [
      { name: 'format', initial: { target: 'cpu', format: 'table', live: true } },
      { name: "SimpleJSON's type", initial: { target: 'cpu', type: 'table', live: true } },
    ];
    it.each(tableCases)('is off and disabled for a table ($name), saying why', async ({ initial }) => {
      backend();
      renderEditor(initial);
      const live = await screen.findByRole('switch', { name: 'Live' });
      expect(live).toBeDisabled();
      expect(live).not.toBeChecked();
      expect(live).toHaveAccessibleDescription(/time series only: a table is answered whole/i);
    });

    const forwardingCases: Array<{ name: string; jsonData: JsonData & IdentityJsonData }> = [
      { name: 'Forward OAuth identity', jsonData: { oauthPassThru: true } },
      { name: 'send user header', jsonData: { sendUserHeader: true } },
      { name: 'allowed cookies', jsonData: { keepCookies: ['session_id'] } },
    ];
    it.each(forwardingCases)('is off and disabled when the data source forwards the user ($name), saying why', async ({ jsonData }) => {
      backend();
      renderEditor({ target: 'cpu' }, { jsonData });
      const live = await screen.findByRole('switch', { name: 'Live' });
      expect(live).toBeDisabled();
      expect(live).not.toBeChecked();
      expect(live).toHaveAccessibleDescription(/forwards the signed-in user's identity/);
    });

    it('lets a query saved with live on be turned off once the data source forwards the user, which the backend asks for', async () => {
      backend();
      const editor = renderEditor({ target: 'cpu', live: true }, { jsonData: { oauthPassThru: true } });
      const live = await screen.findByRole('switch', { name: 'Live' });
      expect(live).toBeChecked();
      expect(live).toBeEnabled();
      expect(live).toHaveAccessibleDescription(/forwards the signed-in user's identity/);
      await userEvent.click(live);
      expect(editor.last().live).toBeUndefined();
      expect(screen.getByRole('switch', { name: 'Live' })).toBeDisabled();
    });

    it('is offered when no forwarding is set (an empty cookie list forwards nothing)', async () => {
      backend();
      renderEditor({ target: 'cpu' }, { jsonData: { oauthPassThru: false, keepCookies: [] } });
      expect(await screen.findByRole('switch', { name: 'Live' })).toBeEnabled();
    });

    it('is cleared when the format becomes Table', async () => {
      backend();
      const editor = renderEditor({ target: 'cpu', live: true });
      expect(await screen.findByRole('switch', { name: 'Live' })).toBeChecked();
      await userEvent.click(screen.getByRole('radio', { name: 'Table' }));
      expect(editor.last()).toMatchObject({ format: 'table', live: undefined });
      expect(screen.getByRole('switch', { name: 'Live' })).toBeDisabled();
    });

    it('is not offered in alert rules, which ignore it', async () => {
      backend();
      renderEditor({ target: 'cpu', live: true }, { app: CoreApp.UnifiedAlerting });
      await screen.findByRole('combobox', { name: 'Metric' });
      expect(screen.queryByRole('switch', { name: 'Live' })).not.toBeInTheDocument();
    });
  });

  it('says the service lists no metrics, and what to check', async () => {
    backend({ metrics: [] });
    renderEditor({});
    const note = await screen.findByTestId('metrics-empty');
    expect(note).toHaveTextContent('The service lists no metrics');
    expect(note).toHaveTextContent('/metrics');
    expect(await optionTexts('Metric')).toEqual([expect.stringContaining('$region')]);
  });

  it('shows a backend error inline', async () => {
    backend({ fail: true });
    renderEditor({ target: 'cpu' });
    expect(await screen.findByTestId('metrics-error')).toHaveTextContent('connection refused at metrics.internal:8080');
    // The saved metric stays chosen even though the list failed.
    expect(screen.getByRole('combobox', { name: 'Metric' })).toHaveValue('cpu');
  });

  describe('Payload', () => {
    const jsonBox = () => screen.findByRole('textbox', { name: /^Payload \(JSON\)/ });

    it('offers a JSON editor without a click for a metric that declares no fields, where a new query types its payload', async () => {
      backend();
      const editor = renderEditor({ target: 'cpu', payload: {} });
      const box = await jsonBox();
      // Grafana's CodeEditor in JSON mode (the stand-in of src/test/codeEditor.tsx in jsdom).
      expect(box).toHaveAttribute('data-language', 'json');
      expect(box).toHaveValue('{}');
      await userEvent.clear(box);
      await userEvent.type(box, '{{"host": "web-1", "limit": 5}');
      expect(editor.changes).toHaveLength(0);
      await userEvent.tab();
      expect(editor.last().payload).toEqual({ host: 'web-1', limit: 5 });
      expect(editor.runs()).toBe(1);
    });

    it('saves the JSON on Ctrl+S, as Grafana\'s code editors do, without leaving the editor', async () => {
      backend();
      const editor = renderEditor({ target: 'cpu', payload: {} });
      const box = await jsonBox();
      await userEvent.clear(box);
      await userEvent.type(box, '{{"host": "web-2"}');
      await userEvent.keyboard('{Control>}s{/Control}');
      expect(editor.last().payload).toEqual({ host: 'web-2' });
      expect(editor.runs()).toBe(1);
      expect(box).toHaveFocus();
      // Leaving it afterwards saves nothing new.
      await userEvent.tab();
      expect(editor.changes).toHaveLength(1);
    });

    const invalidCases = [
      { name: 'not JSON', typed: '{{"host": ', error: /not valid JSON/ },
      { name: 'not an object', typed: '42', error: /must be a JSON object/ },
    ];
    it.each(invalidCases)('keeps invalid text ($name) as typed, says what is wrong, and does not run it', async ({ typed, error }) => {
      backend();
      const editor = renderEditor({ target: 'cpu', payload: { host: 'web-1' } });
      const box = await jsonBox();
      await userEvent.clear(box);
      await userEvent.type(box, typed);
      await userEvent.tab();
      expect(await screen.findByText(error)).toBeInTheDocument();
      expect(box).toHaveValue(typed.replace('{{', '{'));
      expect(editor.last().payload).toBe(typed.replace('{{', '{'));
      expect(editor.runs()).toBe(0);
    });

    it('runs a payload that is JSON once variables are replaced, as the JSON datasource did, and says so', async () => {
      backend();
      const editor = renderEditor({ target: 'cpu', payload: {} });
      const box = await jsonBox();
      await userEvent.clear(box);
      await userEvent.type(box, '{{"hosts": $hosts}');
      await userEvent.tab();
      expect(editor.last().payload).toBe('{"hosts": $hosts}');
      expect(editor.runs()).toBe(1);
      expect(await screen.findByText(/sent with the dashboard's variables replaced/)).toBeInTheDocument();
    });

    it('shows the keys the metric does not declare, and removes one on request', async () => {
      backend();
      const editor = renderEditor({ target: 'requests', payload: { region: 'eu', legacy: 'x', other: 2 } });
      const unknown = await screen.findByTestId('unknown-payload');
      expect(unknown).toHaveTextContent('legacy: "x"');
      expect(unknown).toHaveTextContent('other: 2');
      expect(unknown).not.toHaveTextContent('region');
      await userEvent.click(screen.getByRole('button', { name: 'Remove payload key legacy' }));
      expect(editor.last().payload).toEqual({ region: 'eu', other: 2 });
      expect(screen.getByTestId('unknown-payload')).not.toHaveTextContent('legacy');
    });

    it('keeps the payload when switching between fields and JSON', async () => {
      backend();
      const editor = renderEditor({ target: 'requests', payload: { region: 'eu' } });
      await screen.findByRole('combobox', { name: 'Region' });
      await userEvent.click(screen.getByRole('radio', { name: 'JSON' }));
      const box = await jsonBox();
      expect(JSON.parse((box as HTMLTextAreaElement).value)).toEqual({ region: 'eu' });
      await userEvent.clear(box);
      await userEvent.type(box, '{{"region": "eu", "path": "/api"}');
      await userEvent.tab();
      expect(editor.last().payload).toEqual({ region: 'eu', path: '/api' });
      await userEvent.click(screen.getByRole('radio', { name: 'Fields' }));
      expect(screen.getByRole('textbox', { name: 'Path' })).toHaveValue('/api');
      expect(screen.queryByRole('textbox', { name: /^Payload \(JSON\)/ })).not.toBeInTheDocument();
    });

    it('keeps every key of a text payload, and the JSON editor, when a declared field is edited', async () => {
      backend();
      const editor = renderEditor({ target: 'requests', payload: '{"region": "eu", "legacy": 1}' });
      await userEvent.type(await screen.findByRole('textbox', { name: 'Path' }), '/api');
      await userEvent.tab();
      expect(editor.last().payload).toEqual({ region: 'eu', legacy: 1, path: '/api' });
      expect(screen.getByTestId('unknown-payload')).toHaveTextContent('legacy: 1');
      await userEvent.click(screen.getByRole('radio', { name: 'JSON' }));
      expect(JSON.parse(((await jsonBox()) as HTMLTextAreaElement).value)).toEqual({ region: 'eu', legacy: 1, path: '/api' });
    });

    it("shows the previous metric's keys after switching metric, so they can be removed", async () => {
      backend();
      const editor = renderEditor({ target: 'requests', payload: { region: 'eu' } });
      await screen.findByRole('combobox', { name: 'Region' });
      await pick('Metric', 'CPU usage');
      expect(editor.last()).toMatchObject({ target: 'cpu', payload: { region: 'eu' } });
      const box = await jsonBox();
      expect(JSON.parse((box as HTMLTextAreaElement).value)).toEqual({ region: 'eu' });
      await userEvent.clear(box);
      await userEvent.tab();
      expect(editor.last().payload).toEqual({});
    });
  });

  it('keeps a JSON datasource text payload, and refuses field edits over invalid JSON', async () => {
    backend();
    renderEditor({ target: 'requests', payload: '{"region": ' });
    expect(await screen.findByText(/The payload is not valid JSON/)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Path')).toBeDisabled());
  });
});
