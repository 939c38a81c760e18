import { defineConfig } from 'vitest/config';

export default defineConfig({
  oxc: { jsx: { runtime: 'classic' } },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    // Grafana's packages import CommonJS modules (moment-timezone) by name,
    // which only a transform makes work outside a bundler.
    server: { deps: { inline: [/@grafana\//] } },
  },
});
