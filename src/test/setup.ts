import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, vi } from 'vitest';

afterEach(() => cleanup());

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
