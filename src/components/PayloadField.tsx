import React, { useState } from 'react';
import { SelectableValue } from '@grafana/data';
import { EditorField } from '@grafana/plugin-ui';
import { Input, MultiSelect, Select, TextArea } from '@grafana/ui';

import { asList, errorMessage } from '../payload';
import { PayloadDef, PayloadScalar, PayloadValue, SelectOption } from '../types';
import { useDraft } from './useDraft';

interface Props {
  def: PayloadDef;
  value: PayloadValue | undefined;
  disabled?: boolean;
  /** Loads the field's options from the service when its definition lists none. */
  loadOptions: () => Promise<SelectOption[]>;
  variables: string[];
  onChange: (value: PayloadValue | undefined) => void;
}

const toSelectable = (o: SelectOption): SelectableValue<PayloadScalar> => ({ label: o.label || String(o.value), value: o.value });

export function PayloadField({ def, value, disabled, loadOptions, variables, onChange }: Props) {
  const label = def.label || def.name;
  const width = def.width ? Math.max(8, Math.min(def.width, 80)) : undefined;
  const kind = def.type ?? 'input';

  if (kind === 'select' || kind === 'multi-select') {
    return (
      <EditorField label={label} width={width ?? 24} htmlFor={`payload-${def.name}`}>
        <OptionsPicker
          def={def}
          multi={kind === 'multi-select'}
          value={value}
          disabled={disabled}
          loadOptions={loadOptions}
          variables={variables}
          onChange={onChange}
        />
      </EditorField>
    );
  }
  return (
    <EditorField label={label} width={width ?? (kind === 'textarea' ? 48 : 24)} htmlFor={`payload-${def.name}`}>
      <TextValue kind={kind} def={def} value={value} disabled={disabled} onChange={onChange} />
    </EditorField>
  );
}

function OptionsPicker({
  def,
  multi,
  value,
  disabled,
  loadOptions,
  variables,
  onChange,
}: Omit<Props, 'def'> & { def: PayloadDef; multi: boolean }) {
  // Options fetched on first open; a new definition (another metric) starts over.
  const [fetched, setFetched] = useState<{ def: PayloadDef; options?: SelectOption[]; error?: string }>({ def });
  const [loading, setLoading] = useState(false);
  if (fetched.def !== def) {
    setFetched({ def });
  }
  const loaded = fetched.def === def && fetched.options ? fetched.options : def.options;
  const error = fetched.def === def ? fetched.error : undefined;

  const open = async () => {
    if (loaded !== undefined && loaded.length > 0) {
      return;
    }
    setLoading(true);
    try {
      setFetched({ def, options: await loadOptions() });
    } catch (e) {
      setFetched({ def, error: errorMessage(e) });
    } finally {
      setLoading(false);
    }
  };

  const options = [
    ...(loaded ?? []).map(toSelectable),
    ...variables.map((v) => ({ label: v, value: v, description: 'Dashboard variable' })),
  ];
  // A saved value the list does not offer (yet) is still shown, never dropped.
  for (const v of asList(value)) {
    if (!options.some((o) => o.value === v)) {
      options.push({ label: String(v), value: v });
    }
  }
  const common = {
    inputId: `payload-${def.name}`,
    options,
    disabled,
    isLoading: loading,
    placeholder: def.placeholder || 'Choose',
    allowCustomValue: true,
    onOpenMenu: open,
    invalid: Boolean(error),
    noOptionsMessage: error ? `Could not load options: ${error}` : 'No options',
  };
  if (multi) {
    return (
      <MultiSelect<PayloadScalar>
        {...common}
        value={asList(value)}
        onChange={(items) => onChange(items.map((i) => i.value).filter((v): v is PayloadScalar => v !== undefined))}
      />
    );
  }
  return (
    <Select<PayloadScalar>
      {...common}
      isClearable
      value={Array.isArray(value) ? value[0] : value ?? null}
      onChange={(item) => onChange(item?.value)}
    />
  );
}

// Text fields commit on blur, as Grafana's own editors do, so a query does
// not run on every key stroke.
function TextValue({
  kind,
  def,
  value,
  disabled,
  onChange,
}: {
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
        id={`payload-${def.name}`}
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
      id={`payload-${def.name}`}
      value={text}
      disabled={disabled}
      placeholder={def.placeholder}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}
