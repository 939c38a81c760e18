import { QueryEditorProps } from '@grafana/data';
import { Switch, Text, TextArea } from '@grafana/ui';

import { EditorField, EditorRow, EditorRows } from './EditorLayout';
import type { DataSource } from '../datasource';
import { JsonData, Query } from '../types';
import { isOwnVariableModel, toVariableQuery } from '../variableQuery';
import { CommitInput } from './CommitInput';
import { editorIds, EditorIds } from './ids';
import { useDraft } from './useDraft';

type Props = QueryEditorProps<DataSource, Query, JsonData, Query>;

const JSON_EXAMPLE = '{"target": "versions", "service": "$service"}';

/**
 * The template variable editor, as users of the JSON datasource know it:
 * the query text and a "Raw JSON" switch, saved as {query, format}. A
 * variable saved in our own model, {target, payload}, is edited as such.
 * Text saves when the field loses focus, and Grafana then runs the query.
 */
export function VariableQueryEditor({ datasource, query: saved, onChange }: Props) {
  const query = toVariableQuery(saved);
  const ids = editorIds(query.refId, 'variable');
  const save = (next: Partial<Query>) => onChange({ ...query, ...next });
  if (isOwnVariableModel(query)) {
    return <OwnModel query={query} ids={ids} save={save} />;
  }

  const json = query.format === 'json';
  const text = query.query ?? '';
  const problem = json ? jsonProblem(datasource.interpolatedText(query)) : undefined;
  // The switch changes how the text is read; where the text can say the
  // same thing the other way it is rewritten, so what is sent stays the same.
  const toggle = () => save(json ? { format: 'string', query: asTarget(text) ?? text } : { format: 'json', query: asJson(text) });

  return (
    <EditorRows>
      <EditorRow>
        <EditorField label="Query" width={64} htmlFor={ids.control('query')} invalid={Boolean(problem)} error={problem}>
          {json ? (
            <QueryText id={ids.control('query')} value={text} onCommit={(q) => save({ query: q })} />
          ) : (
            // The target is one line: Enter saves it, as in the JSON datasource's editor, instead of adding a newline.
            <CommitInput id={ids.control('query')} value={text} placeholder="services" onCommit={(q) => save({ query: q })} />
          )}
        </EditorField>
        <EditorField
          label="Raw JSON"
          htmlFor={ids.control('json')}
          tooltip="On: the text is a JSON object, sent as the /variable payload. Off: the text is the target."
        >
          <Switch id={ids.control('json')} value={json} onChange={toggle} />
        </EditorField>
      </EditorRow>
      <Text variant="bodySmall" color="secondary" element="p">
        {json ? (
          <>
            The object is the payload of the service&apos;s <code>/variable</code>. Dashboard variables are replaced
            first, so this variable can depend on another: <code>{JSON_EXAMPLE}</code>.
          </>
        ) : (
          <>
            Sent to the service&apos;s <code>/variable</code> as <code>{'{"target": "<query>"}'}</code> (SimpleJSON
            servers: <code>/search</code>). Dashboard variables are replaced; several values of one run the query once
            per value.
          </>
        )}
      </Text>
    </EditorRows>
  );
}

/** Our own model: the target and a payload object. */
function OwnModel({ query, ids, save }: { query: Query; ids: EditorIds; save: (next: Partial<Query>) => void }) {
  const payloadText = typeof query.payload === 'string' ? query.payload : JSON.stringify(query.payload ?? {});
  const problem = payloadText.trim() === '' ? undefined : objectProblem(payloadText);
  return (
    <EditorRows>
      <EditorRow>
        <EditorField label="Target" width={32} htmlFor={ids.control('target')}>
          <CommitInput id={ids.control('target')} value={query.target ?? ''} placeholder="services" onCommit={(target) => save({ target })} />
        </EditorField>
        <EditorField
          label="Payload (JSON)"
          width={48}
          htmlFor={ids.payloadText}
          invalid={Boolean(problem)}
          error={problem}
          tooltip="Sent to the service's /variable as the payload, with the target added."
        >
          <QueryText
            id={ids.payloadText}
            value={payloadText}
            // A valid object is saved as one; other text is kept as written, never dropped.
            onCommit={(text) => save({ payload: objectProblem(text) ? text : (JSON.parse(text) as Query['payload']) })}
          />
        </EditorField>
      </EditorRow>
    </EditorRows>
  );
}

/** JSON text, over several lines. */
function QueryText({ id, value, onCommit }: { id: string; value: string; onCommit: (v: string) => void }) {
  const [text, setText] = useDraft(value);
  return (
    <TextArea
      id={id}
      rows={3}
      value={text}
      placeholder={JSON_EXAMPLE}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={() => text !== value && onCommit(text)}
    />
  );
}

function objectProblem(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `Not valid JSON: ${(e as Error).message}.`;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? undefined : `Not a JSON object; write one such as ${JSON_EXAMPLE}.`;
}

/** What the service would be sent, checked after variables are replaced (a bare $var is no JSON before). */
function jsonProblem(interpolated: string | undefined): string | undefined {
  if (interpolated === undefined || interpolated.trim() === '') {
    return `Write a JSON object, such as ${JSON_EXAMPLE}.`;
  }
  const problem = objectProblem(interpolated);
  return problem && `With the dashboard's variables replaced: ${problem} The service would not get this query.`;
}

/** Text in the string format says {"target": text}. */
function asJson(text: string): string {
  return text.trim().startsWith('{') ? text : JSON.stringify({ target: text });
}

/** The target of a JSON object that holds nothing else. */
function asTarget(text: string): string | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length === 1 && entries[0][0] === 'target' && typeof entries[0][1] === 'string') {
        return entries[0][1];
      }
    }
  } catch {
    // Not JSON: kept as written.
  }
  return undefined;
}
