import { useState } from 'react';
import { CodeEditor, IconButton, RadioButtonGroup, Stack, Text } from '@grafana/ui';

import { EditorField, EditorRow } from './EditorLayout';
import type { DataSource } from '../datasource';
import { parsePayload, payloadText, readPayloadText, undeclaredKeys, withField } from '../payload';
import { PayloadDef, PayloadValue, Query } from '../types';
import { EditorIds } from './ids';
import { PayloadField } from './PayloadField';

type Mode = 'fields' | 'json';

const MODES: Array<{ label: string; value: Mode; description: string }> = [
  { label: 'Fields', value: 'fields', description: 'The fields the metric declares' },
  { label: 'JSON', value: 'json', description: 'The whole payload as a JSON object' },
];

interface Props {
  datasource: DataSource;
  query: Query;
  ids: EditorIds;
  /** The fields the chosen metric declares; none for a metric the list does not hold. */
  defs: PayloadDef[];
  variables: string[];
  change: (next: Partial<Query>, run?: boolean) => void;
}

/**
 * Every metric query's payload: the declared fields, with the keys the
 * metric does not declare shown and removable, and the whole payload as
 * JSON a click away; only the JSON when the metric declares no field, as
 * the JSON datasource's free editor. Both edit the same saved payload, so
 * switching between them loses nothing.
 */
export function PayloadEditor({ datasource, query, ids, defs, variables, change }: Props) {
  const [mode, setMode] = useState<Mode>('fields');
  const { fields, error } = parsePayload(query.payload);
  const declared = defs.length > 0;
  // A text payload that is no JSON object cannot be edited by fields: its text stays in view to be fixed.
  const showJson = !declared || mode === 'json' || Boolean(error);
  const showFields = declared && mode === 'fields';
  const unknown = showFields ? undeclaredKeys(fields, defs) : [];
  const setField = (name: string, value: PayloadValue | undefined) => change({ payload: withField(fields, name, value) });

  return (
    <>
      {declared && (
        <EditorRow>
          {/* A radio group is no labelable element: its name comes from aria-label. */}
          <EditorField label="Payload">
            <RadioButtonGroup<Mode>
              aria-label="Payload editor"
              options={MODES}
              value={mode}
              onChange={setMode}
            />
          </EditorField>
        </EditorRow>
      )}
      {showFields && (
        <EditorRow>
          {defs.map((def) => {
            const others = withField(fields, def.name, undefined);
            return (
              <PayloadField
                key={def.name}
                id={ids.payload(def.name)}
                def={def}
                value={fields[def.name]}
                disabled={Boolean(error)}
                variables={variables}
                optionsKey={JSON.stringify([query.target ?? '', others])}
                loadOptions={() => datasource.getPayloadOptions(query.target ?? '', def.name, others)}
                onChange={(v) => setField(def.name, v)}
              />
            );
          })}
        </EditorRow>
      )}
      {unknown.length > 0 && (
        <EditorRow>
          <EditorField
            label="Unknown payload"
            tooltip="Keys this metric does not declare (saved by another editor, or by another metric). They are still sent to the service; remove those it should not get."
          >
            <Stack gap={1} wrap="wrap" data-testid="unknown-payload">
              {unknown.map((key) => (
                <Stack key={key} gap={0.5} alignItems="center">
                  <Text variant="code">
                    {key}: {JSON.stringify(fields[key])}
                  </Text>
                  <IconButton
                    name="times"
                    aria-label={`Remove payload key ${key}`}
                    onClick={() => setField(key, undefined)}
                  />
                </Stack>
              ))}
            </Stack>
          </EditorField>
        </EditorRow>
      )}
      {showJson && (
        <EditorRow>
          <EditorField
            label="Payload (JSON)"
            width={64}
            invalid={Boolean(error)}
            error={error}
            tooltip={'A JSON object sent to the service\'s /query with the target, such as {"region": "eu"}. Dashboard variables are replaced. Saved when the editor loses focus (or on Ctrl+S).'}
          >
            <JsonCode
              label="Payload (JSON)"
              value={payloadText(query.payload)}
              onCommit={(text) => {
                const read = readPayloadText(text, query.payload);
                // Text that is no JSON object is kept as typed, with the error beside it, and not run.
                change({ payload: read.payload }, read.valid);
              }}
            />
          </EditorField>
        </EditorRow>
      )}
    </>
  );
}

// Monaco's line height at Grafana's code font size, and its top and bottom padding.
const LINE_PX = 19;
const PADDING_PX = 8;
const lineCount = (text: string) => Math.min(12, Math.max(3, text.split('\n').length));

/**
 * The payload in Grafana's code editor (Monaco), with JSON highlighting
 * and bracket matching. Monaco keeps the text being typed; it is committed
 * when the editor loses focus, or on Ctrl+S, as a text field is. The
 * editor grows with the text, from 3 to 12 lines, as the text area did.
 */
function JsonCode({ label, value, onCommit }: { label: string; value: string; onCommit: (v: string) => void }) {
  const [lines, setLines] = useState(() => lineCount(value));
  const commit = (text: string) => text !== value && onCommit(text);
  return (
    <CodeEditor
      language="json"
      value={value}
      height={lines * LINE_PX + PADDING_PX}
      showLineNumbers={false}
      showMiniMap={false}
      // The label Monaco gives its input: the field's label cannot point into the editor.
      monacoOptions={{ ariaLabel: label, scrollBeyondLastLine: false }}
      // CodeEditor subscribes this once, when Monaco mounts: it may only set state.
      onChange={(text) => setLines(lineCount(text))}
      onBlur={commit}
      onSave={commit}
    />
  );
}
