import { useState } from 'react';

import { NUMBER_KEYS, Problem, Settings } from '../settings';

/** Fields the user types into: their problems wait until the field loses focus. */
const TYPED: ReadonlySet<string> = new Set(['url', ...NUMBER_KEYS]);

/**
 * The problems the page shows, validated on blur as Grafana's own pages
 * do: nothing about a field while it is being typed into, and nothing about
 * the empty fields of a data source just added until the user has left
 * them. Settings loaded from a save or from provisioning show their problems
 * at once, as does everything after a save. Problems of choices (an
 * authentication method without its secret) show when the choice is made.
 */
export function useShownProblems(options: Settings, problems: Problem[]) {
  const [start] = useState(() => ({ version: options.version, fresh: !options.url && (options.version ?? 1) <= 1 }));
  const [editing, setEditing] = useState<ReadonlySet<string>>(() => new Set());
  const [left, setLeft] = useState<ReadonlySet<string>>(() => new Set());
  const saved = options.version !== start.version;
  const shown = problems.filter(
    (p) => !TYPED.has(p.field) || (!editing.has(p.field) && (saved || !start.fresh || left.has(p.field)))
  );
  return {
    shown,
    /** Called as the user types into a field. */
    typing: (field: string) => {
      if (!editing.has(field)) {
        setEditing((s) => new Set(s).add(field));
      }
    },
    /** Called when the field loses focus: its problems show from then on. */
    blurred: (field: string) => {
      setEditing((s) => {
        const next = new Set(s);
        next.delete(field);
        return next;
      });
      if (!left.has(field)) {
        setLeft((s) => new Set(s).add(field));
      }
    },
  };
}
