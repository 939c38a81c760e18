import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { defineConfig, Plugin } from 'vite';

// Grafana hands these to a plugin at load time (its shared modules); a
// bundled copy would be a second React or a second theme.
export const GRAFANA_SHARED = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  '@grafana/schema',
  '@emotion/css',
  '@emotion/react',
  'lodash',
  'rxjs',
  'rxjs/operators',
];

/** Writes what Grafana needs beside module.js, so dist/ is an installable plugin folder. */
function pluginFiles(): Plugin {
  return {
    name: 'inhouse-metrics-plugin-files',
    apply: 'build',
    async writeBundle() {
      const pkg = JSON.parse(await readFile('package.json', 'utf8'));
      const manifest = (await readFile('src/plugin.json', 'utf8'))
        .replaceAll('%VERSION%', pkg.version)
        .replaceAll('%TODAY%', new Date().toISOString().slice(0, 10));
      await mkdir('dist/img', { recursive: true });
      await writeFile('dist/plugin.json', manifest);
      await copyFile('src/img/logo.svg', 'dist/img/logo.svg');
      await copyFile('README.md', 'dist/README.md');
    },
  };
}

export default defineConfig({
  build: {
    outDir: 'dist',
    // The Go binaries live in dist/ too (mage); never wipe them.
    emptyOutDir: false,
    sourcemap: true,
    minify: true,
    target: 'es2022',
    lib: {
      entry: 'src/module.ts',
      // Grafana loads module.js through SystemJS, which runs the AMD branch
      // of a UMD bundle and passes its shared modules as the dependencies.
      formats: ['umd'],
      name: 'InhouseMetricsDatasource',
      fileName: () => 'module.js',
    },
    rollupOptions: {
      external: GRAFANA_SHARED,
      output: {
        exports: 'named',
        // Only used outside an AMD loader; named so the build says nothing.
        globals: Object.fromEntries(GRAFANA_SHARED.map((m) => [m, m.replace(/\W+/g, '_')])),
      },
      onLog(level, log, handler) {
        // Dependencies mark modules 'use client' for server-rendering
        // frameworks; it means nothing in a browser bundle.
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') {
          return;
        }
        handler(level, log);
      },
    },
  },
  plugins: [pluginFiles()],
});
