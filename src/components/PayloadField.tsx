import { ReactNode, useEffect, useRef, useState } from 'react';
import { Combobox, ComboboxOption, Input, MultiCombobox, TextArea } from '@grafana/ui';

import { EditorField } from './EditorLayout';
import { asList, errorMessage } from '../payload';
import { PayloadDef, PayloadScalar, PayloadValue, SelectOption } from '../types';
import { useDraft } from './useDraft';

interface Props {
  def: PayloadDef;
  /** The element id: unique per query and field, so two open editors never share one. */
  id: string;
  value: PayloadValue | undefined;
  disabled?: boolean;
  /**
   * What the field's fetched options depend on (metric and the other
   * fields); options fetched for another key are stale.
   */
  optionsKey: string;
  /** Loads the field's options from the service when its definition lists none. */
  loadOptions: () => Promise<SelectOption[]>;
  variables: string[];
  onChange: (value: PayloadValue | undefined) => void;
}

type Key = string | number;

// Combobox takes string and number values only. A boolean option travels
// under a key that nobody types, and comes back a boolean.
const TRUE_KEY = '\u0000true';
const FALSE_KEY = '\u0000false';
export const toKey = (v: PayloadScalar): Key => (v === true ? TRUE_KEY : v === false ? FALSE_KEY : v);
export const fromKey = (k: Key): PayloadScalar => (k === TRUE_KEY ? true : k === FALSE_KEY ? false : k);

export function PayloadField({ def, id, value, disabled, optionsKey, loadOptions, variables, onChange }: Props) {
  const label = def.label || def.name;
  const width = def.width ? Math.max(8, Math.min(def.width, 80)) : undefined;
  const kind = def.type ?? 'input';
  const options = useFieldOptions(def, optionsKey, loadOptions);

  if (kind === 'select' || kind === 'multi-select') {
    return (
      <EditorField
        label={label}
        width={width ?? 24}
        htmlFor={id}
        invalid={Boolean(options.error)}
        error={options.error && `Could not load the options: ${options.error}`}
        // Options load when the field gets focus, with the payload as it is then.
        onFocus={options.fetch}
      >
        <OptionsPicker
            id={id}
            def={def}
            multi={kind === 'multi-select'}
            value={value}
            disabled={disabled}
            loaded={options.list}
            loading={options.loading}
            invalid={Boolean(options.error)}
            variables={variables}
            onChange={onChange}
          />
      </EditorField>
    );
  }
  return (
    <EditorField label={label} width={width ?? (kind === 'textarea' ? 48 : 24)} htmlFor={id}>
      <TextValue id={id} kind={kind} def={def} value={value} disabled={disabled} onChange={onChange} />
    </EditorField>
  );
}

interface FetchedOptions {
  key: string;
  list?: SelectOption[];
  error?: string;
  loading: boolean;
}

/**
 * Options listed by the definition, or fetched from the service. A fetch
 * is kept for the payload it was made with: once another field changes,
 * the next focus fetches again, since options may depend on it (zones of
 * the chosen region).
 */
function useFieldOptions(def: PayloadDef, key: string, load: () => Promise<SelectOption[]>) {
  const [fetched, setFetched] = useState<FetchedOptions>();
  const listed = def.options !== undefined && def.options.length > 0;
  const current = fetched?.key === key ? fetched : undefined;
  const fetch = () => {
    if (listed || current?.list || current?.loading) {
      return;
    }
    setFetched({ key, loading: true });
    const settle = (next: Omit<FetchedOptions, 'key' | 'loading'>) =>
      setFetched((f) => (f?.key === key ? { key, loading: false, ...next } : f));
    load().then(
      (list) => settle({ list }),
      (e) => settle({ error: errorMessage(e) })
    );
  };
  return { list: listed ? def.options! : (current?.list ?? []), loading: current?.loading ?? false, error: current?.error, fetch };
}

function OptionsPicker({
  id,
  def,
  multi,
  value,
  disabled,
  loaded,
  loading,
  invalid,
  variables,
  onChange,
}: {
  id: string;
  def: PayloadDef;
  multi: boolean;
  value: PayloadValue | undefined;
  disabled?: boolean;
  loaded: SelectOption[];
  loading: boolean;
  invalid: boolean;
  variables: string[];
  onChange: (value: PayloadValue | undefined) => void;
}) {
  const options: Array<ComboboxOption<Key>> = [
    ...loaded.map((o) => ({ label: o.label || String(o.value), value: toKey(o.value) })),
    ...variables.map((v) => ({ label: v, value: v, description: 'Dashboard variable' })),
  ];
  // A saved value the list does not offer (yet) is still shown, never dropped.
  for (const v of asList(value)) {
    if (!options.some((o) => o.value === toKey(v))) {
      options.push({ label: String(v), value: toKey(v) });
    }
  }
  const common = {
    id,
    options,
    disabled,
    loading,
    invalid,
    placeholder: def.placeholder || 'Choose',
    createCustomValue: true,
  };
  if (multi) {
    return (
      <InputId id={id}>
        <MultiCombobox<Key>
          {...common}
          isClearable
          value={asList(value).map(toKey)}
          onChange={(items) => onChange(items.map((i) => fromKey(i.value)))}
        />
      </InputId>
    );
  }
  const single = Array.isArray(value) ? value[0] : value;
  return (
    <Combobox<Key>
      {...common}
      isClearable
      value={single === undefined ? null : toKey(single)}
      onChange={(item) => onChange(item ? fromKey(item.value) : undefined)}
    />
  );
}

/**
 * Gives the input inside its child the id: Grafana 11.6's MultiCombobox
 * drops its id prop and keeps the one its menu library made up, which
 * leaves the field's label pointing at nothing. Later versions set it
 * themselves, and this changes nothing.
 */
function InputId({ id, children }: { id: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const input = ref.current?.querySelector('input');
    if (input && input.id !== id) {
      input.id = id;
    }
  });
  return <div ref={ref}>{children}</div>;
}

// Text fields commit on blur, as Grafana's own editors do, so a query does
// not run on every key stroke.
function TextValue({
  id,
  kind,
  def,
  value,
  disabled,
  onChange,
}: {
  id: string;
  kind: string;
  def: PayloadDef;
  value: PayloadValue | undefined;
  disabled?: boolean;
  onChange: (value: PayloadValue | undefined) => void;
}) {
  const saved = value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value);
  const [text, setText] = useDraft(saved);
  const commit = () => {
    if (text !== saved) {
      onChange(text);
    }
  };
  if (kind === 'textarea') {
    return (
      <TextArea
        id={id}
        value={text}
        rows={3}
        disabled={disabled}
        placeholder={def.placeholder}
        onChange={(e) => setText(e.currentTarget.value)}
        onBlur={commit}
      />
    );
  }
  return (
    <Input
      id={id}
      value={text}
      disabled={disabled}
      placeholder={def.placeholder}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}
