import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, vi } from 'vitest';

afterEach(() => cleanup());

// jsdom lacks these browser APIs; @grafana/ui components call them while laying out menus.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}
for (const name of ['ResizeObserver', 'IntersectionObserver']) {
  if (!(name in window)) {
    (window as unknown as Record<string, unknown>)[name] = class {
      observe() {}
      unobserve() {}
      disconnect() {}
      takeRecords() {
        return [];
      }
    };
  }
}

// Combobox measures option text on a canvas, which jsdom does not draw.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return { measureText: (text: string) => ({ width: text.length * 8 }), font: '' };
} as unknown as HTMLCanvasElement['getContext'];

// Combobox renders only the options that fit its menu (virtual scrolling,
// sized by clientHeight and offsetHeight); jsdom lays nothing out, so the
// menu would be 0 pixels high and show no option.
for (const [prop, size] of [
  ['clientHeight', 400],
  ['clientWidth', 400],
  ['offsetHeight', 32],
  ['offsetWidth', 400],
] as const) {
  Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => size });
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
