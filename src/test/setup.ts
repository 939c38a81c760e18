import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { createElement } from 'react';
import { afterAll, afterEach, vi } from 'vitest';

import { checkConsole } from './console';

// Two shared cores run the test files side by side: an editor's first
// render and its menus can take longer than findBy*'s default second.
configure({ asyncUtilTimeout: 5000 });

// The build's tests run in node, without a DOM to fill in.
if (typeof window !== 'undefined') {
  await import('./dom');
}

// @grafana/ui's Icon fetches its SVG from Grafana's server and sets state
// when the fetch settles, after the test has moved on (React's act()
// warning). jsdom has no such server; the icon is drawn empty at once.
vi.mock('react-inlinesvg', () => ({
  default: (props: Record<string, unknown>) =>
    createElement('svg', {
      className: props.className,
      style: props.style,
      width: props.width,
      height: props.height,
      'aria-hidden': props['aria-hidden'],
      'data-testid': props['data-testid'],
    }),
}));

// CodeEditor runs Monaco, which jsdom cannot: a text area stands in,
// driven by the same props (see codeEditor.tsx). The browser test types
// into the real one.
vi.mock('@grafana/ui', async (importOriginal) => {
  const ui = await importOriginal<typeof import('@grafana/ui')>();
  const { FakeCodeEditor } = await import('./codeEditor');
  return { ...ui, CodeEditor: FakeCodeEditor };
});

// A test fails on what it writes to console.error or console.warn (console.ts).
afterEach(() => {
  // Unmounting can warn too: the editors are gone before the console is read.
  cleanup();
  checkConsole();
});
// What arrives after the last test of a file (a late state update) fails the file.
afterAll(checkConsole);
