import type { CodeEditor } from '@grafana/ui';
import type { ComponentProps } from 'react';

import { useDraft } from '../components/useDraft';

/**
 * Stands in for @grafana/ui's CodeEditor in vitest. The real one runs
 * Monaco, which jsdom cannot run (no layout, no workers, CSS imports): it
 * would stay on "Loading editor". This one is a text area driven by the
 * same props the real one reads, so the tests exercise our use of them:
 * like Monaco it keeps the text being typed until `value` changes, names
 * its input by monacoOptions.ariaLabel, reports every change through
 * onChange and the whole text through onBlur and onSave (Ctrl+S). The real
 * editor is typed into by the browser test (browser-test/run.mjs).
 */
export function FakeCodeEditor({ value, language, readOnly, monacoOptions, onBlur, onChange, onSave }: Omit<ComponentProps<typeof CodeEditor>, 'theme'>) {
  const [text, setText] = useDraft(value);
  return (
    <textarea
      aria-label={monacoOptions?.ariaLabel}
      data-language={language}
      readOnly={readOnly}
      spellCheck={false}
      value={text}
      onChange={(e) => {
        setText(e.currentTarget.value);
        onChange?.(e.currentTarget.value);
      }}
      onBlur={(e) => onBlur?.(e.currentTarget.value)}
      onKeyDown={(e) => {
        if (e.key === 's' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          onSave?.(e.currentTarget.value);
        }
      }}
    />
  );
}
