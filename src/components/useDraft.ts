import { useState } from 'react';

/**
 * Text being typed into a field whose saved value commits on blur. A new
 * saved value (another query loaded, an undo) replaces the draft; it is
 * adjusted while rendering, as React recommends for state derived from
 * props, rather than in an effect.
 */
export function useDraft(saved: string): [string, (text: string) => void] {
  const [draft, setDraft] = useState({ saved, text: saved });
  if (draft.saved !== saved) {
    setDraft({ saved, text: saved });
  }
  return [draft.saved === saved ? draft.text : saved, (text: string) => setDraft({ saved, text })];
}
