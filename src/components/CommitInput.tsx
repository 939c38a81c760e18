import { Input } from '@grafana/ui';

import { useDraft } from './useDraft';

/**
 * A one-line text field that saves on blur or Enter, as Grafana's own
 * editors do, so a query does not run on every key stroke.
 */
export function CommitInput({
  id,
  value,
  placeholder,
  onCommit,
}: {
  id: string;
  value: string;
  placeholder?: string;
  onCommit: (v: string) => void;
}) {
  const [text, setText] = useDraft(value);
  const commit = () => text !== value && onCommit(text);
  return (
    <Input
      id={id}
      placeholder={placeholder}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}
