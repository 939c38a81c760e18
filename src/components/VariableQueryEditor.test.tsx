import { useState } from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { QUERY_TYPE_VARIABLE } from '../names';
import { instanceSettings } from '../test/instance';
import { fakeTemplateSrv } from '../test/templateSrv';
import { Query } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

/** Renders the editor as Grafana's variable page does: it keeps what the editor saves. */
function renderEditor(saved: unknown) {
  const datasource = new DataSource(instanceSettings(), fakeTemplateSrv({ service: 'checkout', services: ['checkout', 'search'] }));
  const changes: Query[] = [];
  function Page() {
    const [query, setQuery] = useState(saved as Query);
    return (
      <VariableQueryEditor
        datasource={datasource}
        query={query}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
        onRunQuery={() => {}}
      />
    );
  }
  render(<Page />);
  return { changes, last: () => changes[changes.length - 1] };
}

const queryBox = () => screen.getByRole('textbox', { name: 'Query' });
const rawJson = () => screen.getByRole('switch', { name: 'Raw JSON' });

async function replaceText(box: HTMLElement, text: string) {
  await userEvent.clear(box);
  // user-event reads { and [ as key descriptors; doubled they are typed.
  await userEvent.type(box, text.replace(/[{[]/g, (c) => c + c));
  await userEvent.tab();
}

describe('VariableQueryEditor', () => {
  it('offers the query text and a Raw JSON switch, labelled, and nothing of panel queries', () => {
    renderEditor('');
    expect(queryBox()).toHaveValue('');
    expect(rawJson()).not.toBeChecked();
    for (const [role, name] of [
      ['radio', 'Table'],
      ['radiogroup', 'Format'],
      ['textbox', /Legend/],
      ['combobox', 'Metric'],
    ] as const) {
      expect(screen.queryByRole(role, { name })).not.toBeInTheDocument();
    }
  });

  it('takes the string-format target on one line, saved by Enter without a newline', async () => {
    const editor = renderEditor({ query: 'serv', format: 'string' });
    expect(queryBox().tagName).toBe('INPUT');
    await userEvent.type(queryBox(), 'ices{Enter}');
    expect(editor.last()).toMatchObject({ query: 'services', format: 'string' });
    expect(queryBox()).toHaveValue('services');
  });

  it("saves the JSON datasource's model, as a variable query, when the text loses focus", async () => {
    const editor = renderEditor('');
    await userEvent.type(queryBox(), 'services');
    expect(editor.changes).toHaveLength(0);
    await userEvent.tab();
    expect(editor.changes).toEqual([{ refId: 'variable', queryType: QUERY_TYPE_VARIABLE, query: 'services', format: 'string' }]);
  });

  it('turns Raw JSON on and off without changing what is sent', async () => {
    const editor = renderEditor({ refId: 'V', query: 'services', format: 'string' });
    await userEvent.click(rawJson());
    expect(editor.last()).toMatchObject({ format: 'json', query: '{"target":"services"}' });
    expect(rawJson()).toBeChecked();
    await userEvent.click(rawJson());
    expect(editor.last()).toMatchObject({ format: 'string', query: 'services' });
  });

  it('keeps JSON text as written when Raw JSON goes off, if it holds more than a target', async () => {
    const text = '{"target": "versions", "service": "$service"}';
    const editor = renderEditor({ query: text, format: 'json' });
    await userEvent.click(rawJson());
    expect(editor.last()).toMatchObject({ format: 'string', query: text });
  });

  it.each([
    { name: 'variables inside strings', text: '{"target": "versions", "service": "$service"}' },
    { name: 'a bare multi-value variable, which becomes a list', text: '{"target": "versions", "service": $services}' },
  ])('accepts JSON that is valid once variables are replaced: $name', ({ text }) => {
    renderEditor({ query: text, format: 'json' });
    expect(queryBox()).toHaveValue(text);
    expect(queryBox()).not.toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByText(/would not get this query/)).not.toBeInTheDocument();
  });

  it('says when the JSON is not an object the service could get, and keeps the text', async () => {
    const editor = renderEditor({ query: '{"target": "services"}', format: 'json' });
    await replaceText(queryBox(), '{"target": ');
    expect(editor.last()).toMatchObject({ query: '{"target": ', format: 'json' });
    expect(await screen.findByText(/Not valid JSON.*would not get this query/)).toBeInTheDocument();
    await replaceText(queryBox(), '["services"]');
    expect(await screen.findByText(/Not a JSON object/)).toBeInTheDocument();
  });

  describe('our own model', () => {
    const saved = { refId: 'V', queryType: QUERY_TYPE_VARIABLE, target: 'services', payload: { region: 'eu' } };

    it('edits target and payload as saved', async () => {
      const editor = renderEditor(saved);
      expect(screen.getByRole('textbox', { name: 'Target' })).toHaveValue('services');
      expect(screen.queryByRole('switch', { name: 'Raw JSON' })).not.toBeInTheDocument();
      const payload = screen.getByRole('textbox', { name: /^Payload \(JSON\)/ });
      expect(payload).toHaveValue('{"region":"eu"}');
      await replaceText(payload, '{"region": "$service"}');
      expect(editor.last()).toEqual({ ...saved, payload: { region: '$service' } });
      await replaceText(screen.getByRole('textbox', { name: 'Target' }), 'versions');
      expect(editor.last()).toMatchObject({ target: 'versions' });
    });

    it('keeps payload text that is no JSON object, and says so', async () => {
      const editor = renderEditor(saved);
      await replaceText(screen.getByRole('textbox', { name: /^Payload \(JSON\)/ }), '{"region": ');
      expect(editor.last()).toMatchObject({ payload: '{"region": ' });
      await waitFor(() => expect(screen.getByText(/Not valid JSON/)).toBeInTheDocument());
    });
  });
});
