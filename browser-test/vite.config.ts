import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const outDir = fileURLToPath(new URL('./dist', import.meta.url));

// The host page: real @grafana/ui, React and Grafana's other shared modules,
// bundled with the same bundler as the plugin, which loads dist/module.js
// at run time.
export default defineConfig({
  root: fileURLToPath(new URL('./host', import.meta.url)),
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 20000,
    rollupOptions: {
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE' || log.code === 'EVAL') {
          return;
        }
        handler(level, log);
      },
    },
  },
  plugins: [
    {
      // @grafana/ui fetches its icons from public/build/img/icons/, where
      // Grafana's server has them.
      name: 'grafana-icons',
      apply: 'build',
      writeBundle() {
        cpSync('node_modules/@grafana/ui/dist/public/img/icons', `${outDir}/public/build/img/icons`, { recursive: true });
      },
    },
  ],
});
