// Browser APIs jsdom lacks, which @grafana/ui components call.

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


export {};
