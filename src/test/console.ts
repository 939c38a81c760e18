import { format } from 'node:util';
import { vi } from 'vitest';

/**
 * A test fails on anything written to console.error or console.warn: React
 * reports its act() and outdated JSX transform problems there, and Grafana's
 * components their misuse. Each message is still printed, where it was
 * written, to be read beside the failure.
 */
const written: Array<{ level: 'error' | 'warn'; text: string }> = [];
for (const level of ['error', 'warn'] as const) {
  // eslint-disable-next-line no-console -- the console is what is watched
  const original = console[level].bind(console);
  vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
    written.push({ level, text: format(...args) });
    original(...args);
  });
}

/** Throws, failing the test, if anything was written since the last check. */
export function checkConsole() {
  const unexpected = written.splice(0);
  if (unexpected.length > 0) {
    throw new Error(
      `the test wrote to the console, which tells of a problem to fix at its cause:\n` +
        unexpected.map((w) => `console.${w.level}: ${w.text}`).join('\n')
    );
  }
}
