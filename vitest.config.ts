import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}', 'browser-test/**/*.test.{ts,tsx}'],
    css: false,
    // Editors are driven through real @grafana/ui menus; on two cores with
    // the files running side by side one test can take several seconds.
    testTimeout: 30000,
    // Grafana's packages import CommonJS modules (moment-timezone) by name,
    // which only a transform makes work outside a bundler.
    server: { deps: { inline: [/@grafana\//] } },
  },
});
