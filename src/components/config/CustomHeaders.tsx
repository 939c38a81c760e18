import { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, IconButton, InlineField, InlineFieldRow, Input, SecretInput, useStyles2 } from '@grafana/ui';

import { Settings } from '../../settings';
import { ConfigSection } from './ConfigSection';
import { SectionProps } from './section';

const NAME = 'httpHeaderName';
const VALUE = 'httpHeaderValue';

interface Header {
  /** Stable across edits, for React keys and element ids. */
  id: number;
  name: string;
  value: string;
  /** Saved before: its value is kept by Grafana and never sent back. */
  configured: boolean;
}

type HeaderKey = `${typeof NAME}${number}`;
type ValueKey = `${typeof VALUE}${number}`;

/** The headers saved in Grafana's standard keys, jsonData.httpHeaderNameN and secureJsonData.httpHeaderValueN, in N order. */
export function savedHeaders(s: Settings): Header[] {
  return Object.keys(s.jsonData)
    .filter((k) => k.startsWith(NAME))
    .map((k) => Number(k.slice(NAME.length)))
    .sort((a, b) => a - b)
    .map((n, i) => ({
      id: i,
      name: s.jsonData[`${NAME}${n}` as HeaderKey] ?? '',
      value: '',
      configured: Boolean(s.secureJsonFields?.[`${VALUE}${n}`]),
    }));
}

/**
 * Writes the headers back numbered from 1: a header whose value was saved
 * before keeps it (secureJsonFields), a new or reset one sends its value.
 */
export function withHeaders(s: Settings, headers: Header[]): Settings {
  const jsonData = Object.fromEntries(Object.entries(s.jsonData).filter(([k]) => !k.startsWith(NAME))) as Settings['jsonData'];
  const secureJsonData = Object.fromEntries(Object.entries(s.secureJsonData ?? {}).filter(([k]) => !k.startsWith(VALUE)));
  const secureJsonFields = Object.fromEntries(Object.entries(s.secureJsonFields ?? {}).filter(([k]) => !k.startsWith(VALUE)));
  headers.forEach((h, i) => {
    jsonData[`${NAME}${i + 1}` as HeaderKey] = h.name;
    if (h.configured) {
      secureJsonFields[`${VALUE}${i + 1}` as ValueKey] = true;
    } else {
      secureJsonData[`${VALUE}${i + 1}` as ValueKey] = h.value;
    }
  });
  return { ...s, jsonData, secureJsonData, secureJsonFields };
}

/** Extra headers on every call to the service; edits are saved when a field loses focus. */
export function CustomHeaders({ options, onOptionsChange }: SectionProps) {
  const styles = useStyles2(getStyles);
  const [headers, setHeaders] = useState(() => savedHeaders(options));
  const [nextId, setNextId] = useState(headers.length);
  const readOnly = options.readOnly;
  const save = (list: Header[]) => onOptionsChange(withHeaders(options, list));
  const edit = (id: number, patch: Partial<Header>) => setHeaders((list) => list.map((h) => (h.id === id ? { ...h, ...patch } : h)));
  return (
    <ConfigSection
      sub
      className={styles.container}
      title="HTTP headers"
      description="Headers sent with every call to the service, such as a tenant id. Values are stored encrypted."
      isCollapsible
      isInitiallyOpen={headers.length > 0}
    >
      {headers.map((h) => (
        <InlineFieldRow key={h.id} className={styles.row}>
          <InlineField label="Header" labelWidth={9} grow className={styles.name} htmlFor={`inhouse-header-${h.id}-name`} disabled={readOnly}>
            <Input
              id={`inhouse-header-${h.id}-name`}
              placeholder="X-Custom-Header"
              value={h.name}
              onChange={(e) => edit(h.id, { name: e.currentTarget.value })}
              onBlur={() => save(headers)}
            />
          </InlineField>
          <InlineField label="Value" labelWidth={9} grow className={styles.value} htmlFor={`inhouse-header-${h.id}-value`} disabled={readOnly}>
            <SecretInput
              id={`inhouse-header-${h.id}-value`}
              isConfigured={h.configured}
              placeholder="Header value"
              value={h.value}
              onChange={(e) => edit(h.id, { value: e.currentTarget.value })}
              onReset={() => edit(h.id, { configured: false, value: '' })}
              onBlur={() => save(headers)}
            />
          </InlineField>
          <IconButton
            name="trash-alt"
            tooltip="Remove header"
            type="button"
            disabled={readOnly}
            onClick={() => {
              const list = headers.filter((x) => x.id !== h.id);
              setHeaders(list);
              save(list);
            }}
          />
        </InlineFieldRow>
      ))}
      <Button
        icon="plus"
        variant="secondary"
        fill="outline"
        className={styles.add}
        disabled={readOnly}
        onClick={() => {
          setHeaders([...headers, { id: nextId, name: '', value: '', configured: false }]);
          setNextId(nextId + 1);
        }}
      >
        {headers.length === 0 ? 'Add header' : 'Add another header'}
      </Button>
    </ConfigSection>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ marginTop: theme.spacing(3) }),
  row: css({ alignItems: 'center' }),
  name: css({ width: '40%', marginRight: 0, paddingRight: theme.spacing(1) }),
  value: css({ width: '45%', marginRight: 0 }),
  add: css({ marginTop: theme.spacing(1.5) }),
});
