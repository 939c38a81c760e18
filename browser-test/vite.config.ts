import { cpSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// HOST_GRAFANA=<name> of pinned.json builds the host page with Grafana's
// shared modules as that pinned version ships them (its folder, React 18),
// into dist-<name>/: the oldest Grafana in plugin.json's grafanaDependency,
// the last minor of 12. Otherwise with the root package's, the newest
// (React 19), into dist/.
const pinnedDirs = JSON.parse(readFileSync(here('./pinned.json'), 'utf8')) as Record<string, string>;
const host = process.env.HOST_GRAFANA ?? 'newest';
const pinned = host !== 'newest';
if (pinned && !pinnedDirs[host]) {
  throw new Error(`HOST_GRAFANA=${host}: give newest or one of ${Object.keys(pinnedDirs).join(', ')}`);
}
const modules = pinned ? here(`./${pinnedDirs[host]}/node_modules`) : here('../node_modules');
const outDir = here(pinned ? `./dist-${host}` : './dist');
const grafanaVersion = (JSON.parse(readFileSync(`${modules}/@grafana/ui/package.json`, 'utf8')) as { version: string }).version;

// Every module Grafana shares (and react-dom/client, react/jsx-runtime,
// which the host itself uses), from the chosen folder, for the host and
// for anything it imports from src/.
const SHARED = /^(@emotion\/css|@emotion\/react|@grafana\/data|@grafana\/runtime|@grafana\/ui|lodash|react|react-dom|rxjs)(\/.*)?$/;

// The pinned @grafana/* packages (11 and 12) as CommonJS: their ESM builds (.mjs) import
// CommonJS modules' default exports (react-use/lib/...), which a bundler
// then reads as Node does, the whole module.exports, and calls an object.
// Grafana itself bundles them from source, where this does not arise.
const GRAFANA_CJS = /^@grafana\/(data|runtime|ui)$/;

// The host page: real @grafana/ui, React and Grafana's other shared modules,
// bundled with the same bundler as the plugin, which loads dist/module.js
// at run time.
export default defineConfig({
  root: here('./host'),
  define: { __GRAFANA_VERSION__: JSON.stringify(grafanaVersion) },
  resolve: {
    alias: pinned
      ? [
          { find: GRAFANA_CJS, replacement: `${modules}/@grafana/$1/dist/cjs/index.cjs` },
          { find: SHARED, replacement: `${modules}/$1$2` },
        ]
      : [],
  },
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
      // @grafana/ui fetches its icons from where Grafana's server has them:
      // public/build/img/icons/, in 11.6 public/img/icons/; a pinned host
      // gets both.
      name: 'grafana-icons',
      apply: 'build',
      writeBundle() {
        const icons = pinned ? ['public/img/icons', 'public/build/img/icons'] : ['public/build/img/icons'];
        for (const dir of icons) {
          cpSync(`${modules}/@grafana/ui/dist/public/img/icons`, `${outDir}/${dir}`, { recursive: true });
        }
      },
    },
  ],
});
