import { useState } from 'react';
import { IconButton, RadioButtonGroup, Stack, Text, TextArea } from '@grafana/ui';

import { EditorField, EditorRow } from './EditorLayout';
import type { DataSource } from '../datasource';
import { parsePayload, payloadText, readPayloadText, undeclaredKeys, withField } from '../payload';
import { PayloadDef, PayloadValue, Query } from '../types';
import { EditorIds } from './ids';
import { PayloadField } from './PayloadField';
import { useDraft } from './useDraft';

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
            htmlFor={ids.payloadText}
            invalid={Boolean(error)}
            error={error}
            tooltip="A JSON object sent to the service's /query with the target. Dashboard variables are replaced. Saved when the field loses focus."
          >
            <JsonText
              id={ids.payloadText}
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

function JsonText({ id, value, onCommit }: { id: string; value: string; onCommit: (v: string) => void }) {
  const [text, setText] = useDraft(value);
  return (
    <TextArea
      id={id}
      rows={Math.min(12, Math.max(3, text.split('\n').length))}
      value={text}
      spellCheck={false}
      placeholder='{"region": "eu"}'
      style={{ fontFamily: 'monospace' }}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={() => text !== value && onCommit(text)}
    />
  );
}
