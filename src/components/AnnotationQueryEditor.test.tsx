import { useState } from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { QUERY_TYPE_ANNOTATIONS } from '../names';
import { installBackend, ResourceCall } from '../test/backendSrv';
import { instanceSettings } from '../test/instance';
import { fakeTemplateSrv } from '../test/templateSrv';
import { Metric, Query } from '../types';
import { AnnotationQueryEditor } from './AnnotationQueryEditor';
import { QueryEditor } from './QueryEditor';
import { VariableQueryEditor } from './VariableQueryEditor';

const METRICS: Metric[] = [
  { label: 'Deploy events', value: 'deploy_events', payloads: [{ name: 'service', label: 'Service', type: 'select', options: [{ value: 'checkout' }] }] },
];

function backend() {
  return installBackend((call: ResourceCall) => ({ status: 200, data: call.url.endsWith('/metrics') ? METRICS : [] }));
}

const datasource = () => new DataSource(instanceSettings(), fakeTemplateSrv({ service: 'checkout' }));

/** Renders the editor as Grafana's annotation page does: the annotation's target, kept as the editor saves it. */
function renderEditor(target: Partial<Query>) {
  const ds = datasource();
  const changes: Query[] = [];
  let runs = 0;
  function Page() {
    const [query, setQuery] = useState<Query>({ refId: 'Anno', ...ds.annotations!.getDefaultQuery!(), ...target });
    return (
      <AnnotationQueryEditor
        datasource={ds}
        query={query}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
        onRunQuery={() => runs++}
      />
    );
  }
  render(<Page />);
  return { changes, last: () => changes[changes.length - 1], runs: () => runs };
}

async function pick(name: string, optionText: string) {
  await userEvent.click(screen.getByRole('combobox', { name }));
  const options = await screen.findAllByRole('option');
  await userEvent.click(options.find((o) => o.textContent?.includes(optionText))!);
}

describe('AnnotationQueryEditor', () => {
  it('offers a metric and its payload, labelled, and no format, table or legend', async () => {
    backend();
    renderEditor({ target: 'deploy_events' });
    expect(await screen.findByRole('combobox', { name: 'Service' })).toBeInTheDocument();
    expect(screen.getByRole('radiogroup', { name: 'Events from' })).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'Metric' })).toBeChecked();
    expect(screen.getByRole('combobox', { name: 'Metric' })).toHaveValue('Deploy events');
    for (const [role, name] of [
      ['radio', 'Table'],
      ['radio', 'Time series'],
      ['radiogroup', 'Format'],
      ['textbox', /Legend/],
    ] as const) {
      expect(screen.queryByRole(role, { name })).not.toBeInTheDocument();
    }
  });

  it('saves the chosen metric as an annotation query and runs it', async () => {
    const calls = backend();
    const editor = renderEditor({});
    await waitFor(() => expect(calls.length).toBeGreaterThan(0));
    await pick('Metric', 'Deploy events');
    expect(editor.last()).toMatchObject({ refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, target: 'deploy_events' });
    expect(editor.runs()).toBe(1);
    await pick('Service', 'checkout');
    expect(editor.last()).toMatchObject({ target: 'deploy_events', payload: { service: 'checkout' } });
  });

  it("edits a SimpleJSON annotation's query text, without asking for metrics", async () => {
    const calls = backend();
    const editor = renderEditor({ query: '$service' });
    expect(screen.getByRole('radio', { name: 'Annotation query' })).toBeChecked();
    const box = screen.getByRole('textbox', { name: 'Query' });
    expect(box).toHaveValue('$service');
    await userEvent.clear(box);
    await userEvent.type(box, 'search{Enter}');
    expect(editor.last()).toMatchObject({ queryType: QUERY_TYPE_ANNOTATIONS, query: 'search' });
    expect(editor.runs()).toBe(1);
    expect(calls).toEqual([]);
  });

  it('keeps only the fields of the way chosen, so the backend takes that way', async () => {
    backend();
    const editor = renderEditor({ target: 'deploy_events', payload: { service: 'checkout' }, alias: 'x' });
    await screen.findByRole('combobox', { name: 'Service' });
    await userEvent.click(screen.getByRole('radio', { name: 'Annotation query' }));
    expect(editor.last()).toEqual({ refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, query: '' });
    await userEvent.click(screen.getByRole('radio', { name: 'Metric' }));
    expect(editor.last()).toEqual({ refId: 'Anno', queryType: QUERY_TYPE_ANNOTATIONS, target: '', payload: {} });
    await screen.findByRole('combobox', { name: 'Metric' });
  });

  it('shares no id with a panel query or a variable editor of the same refId, and labels point into their own editor', async () => {
    backend();
    const ds = datasource();
    const query: Query = { refId: 'A', target: 'deploy_events' };
    render(
      <>
        <div data-testid="panel">
          <QueryEditor datasource={ds} query={query} onChange={() => {}} onRunQuery={() => {}} />
        </div>
        <div data-testid="annotation">
          <AnnotationQueryEditor datasource={ds} query={query} onChange={() => {}} onRunQuery={() => {}} />
        </div>
        <div data-testid="variable">
          <VariableQueryEditor datasource={ds} query={{ refId: 'A', query: 'services' }} onChange={() => {}} onRunQuery={() => {}} />
        </div>
      </>
    );
    await waitFor(() => expect(screen.getAllByRole('combobox', { name: 'Service' })).toHaveLength(2));
    const ids = Array.from(document.querySelectorAll('[id]')).map((e) => e.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const name of ['panel', 'annotation', 'variable']) {
      const editor = screen.getByTestId(name);
      const labels = Array.from(editor.querySelectorAll('label[for]'));
      expect(labels.length).toBeGreaterThan(1);
      for (const label of labels) {
        const target = document.getElementById(label.getAttribute('for')!);
        expect(target && editor.contains(target), `label "${label.textContent}" of the ${name} editor`).toBe(true);
      }
    }
    expect(within(screen.getByTestId('annotation')).getByRole('combobox', { name: 'Metric' }).id).toBe('annotation-metric-A');
  });
});
