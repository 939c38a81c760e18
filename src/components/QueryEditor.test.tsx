import React, { useState } from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { installBackend, ResourceCall } from '../test/backendSrv';
import { instanceSettings } from '../test/instance';
import { fakeTemplateSrv } from '../test/templateSrv';
import { Metric, Query } from '../types';
import { QueryEditor } from './QueryEditor';

const METRICS: Metric[] = [
  { label: 'CPU usage', value: 'cpu', payloads: [] },
  {
    label: 'Requests',
    value: 'requests',
    payloads: [
      { name: 'region', label: 'Region', type: 'select' },
      { name: 'codes', label: 'Status codes', type: 'multi-select', options: [{ label: '2xx', value: '2xx' }, { label: '5xx', value: '5xx' }] },
      { name: 'path', label: 'Path', type: 'input', placeholder: '/api' },
      { name: 'filter', label: 'Filter', type: 'textarea' },
    ],
  },
];

function backend(fail = false) {
  return installBackend((call: ResourceCall) => {
    if (fail) {
      return { status: 502, data: { error: 'in-house service: connection refused at metrics.internal:8080' } };
    }
    if (call.url.endsWith('/metrics')) {
      return { status: 200, data: METRICS };
    }
    return { status: 200, data: [{ label: 'Europe', value: 'eu' }, { label: 'Asia', value: 'asia' }] };
  });
}

function renderEditor(initial: Partial<Query>) {
  const datasource = new DataSource(instanceSettings(), fakeTemplateSrv({ region: 'eu' }));
  const changes: Query[] = [];
  let runs = 0;
  function Host() {
    const [query, setQuery] = useState<Query>({ refId: 'A', ...initial });
    return (
      <QueryEditor
        datasource={datasource}
        query={query}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
        onRunQuery={() => runs++}
      />
    );
  }
  render(<Host />);
  return { changes, last: () => changes[changes.length - 1], runs: () => runs };
}

async function pick(inputLabel: string | RegExp, optionText: string) {
  await userEvent.click(screen.getByLabelText(inputLabel));
  const options = await screen.findAllByRole('option');
  const option = options.find((o) => o.textContent?.includes(optionText));
  if (!option) {
    throw new Error(`no option "${optionText}" among ${options.map((o) => o.textContent).join(' | ')}`);
  }
  await userEvent.click(option);
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

  it('offers dashboard variables as metrics', async () => {
    backend();
    const editor = renderEditor({});
    await pick('Metric', '$region');
    expect(editor.last().target).toBe('$region');
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

  it('keeps several values of a multi-select', async () => {
    backend();
    const editor = renderEditor({ target: 'requests', payload: { codes: ['2xx'] } });
    await screen.findByLabelText('Status codes');
    await pick('Status codes', '5xx');
    expect(editor.last().payload).toEqual({ codes: ['2xx', '5xx'] });
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
    await userEvent.click(screen.getByLabelText('Table'));
    expect(editor.last()).toMatchObject({ format: 'table', type: undefined });
    await userEvent.type(screen.getByLabelText(/^Legend/), '{{{{host}}');
    await userEvent.keyboard('{Enter}');
    expect(editor.last().alias).toBe('{{host}}');
  });

  it('shows a backend error inline', async () => {
    backend(true);
    renderEditor({ target: 'cpu' });
    expect(await screen.findByTestId('metrics-error')).toHaveTextContent('connection refused at metrics.internal:8080');
    // The saved metric stays chosen even though the list failed.
    expect(screen.getByText('cpu')).toBeInTheDocument();
  });

  it('keeps a JSON datasource text payload, and refuses field edits over invalid JSON', async () => {
    backend();
    renderEditor({ target: 'requests', payload: '{"region": ' });
    expect(await screen.findByText(/The payload is not valid JSON/)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Path')).toBeDisabled());
  });
});
