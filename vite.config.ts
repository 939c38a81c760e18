import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defineConfig, Plugin } from 'vite';

import { isExternal, unsharedDependencies } from './src/build/sharedModules.ts';

/** What mage writes into dist/ (the backend); everything else there is the frontend's. */
const BACKEND_FILES = /^(gpx_.*|go_plugin_build_manifest)$/;

/**
 * Empties the output folder of everything an earlier frontend build wrote,
 * including files this build no longer writes, and keeps the backend's
 * binaries, which mage builds into the same folder.
 */
function cleanFrontend(): Plugin {
  let outDir = '';
  return {
    name: 'inhouse-metrics-clean',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async buildStart() {
      const entries = await readdir(outDir).catch(() => [] as string[]);
      await Promise.all(
        entries.filter((e) => !BACKEND_FILES.test(e)).map((e) => rm(join(outDir, e), { recursive: true, force: true }))
      );
    },
  };
}

/**
 * Writes module.js as an AMD module, define(["exports", ...shared], factory),
 * with plain double-quoted dependency names, as Grafana's plugin tooling
 * emits it: Grafana's loader finds AMD modules by a define( call with a
 * quoted dependency list, which a minified UMD wrapper (template literals)
 * does not have. Rolldown has no AMD output, so the minified CommonJS
 * output is wrapped, its require() answered from the factory's arguments.
 */
function amdModule(): Plugin {
  return {
    name: 'inhouse-metrics-amd',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') {
          continue;
        }
        if (chunk.dynamicImports.length > 0) {
          this.error(`${chunk.fileName} imports ${chunk.dynamicImports.join(', ')} dynamically; Grafana loads one AMD module per plugin`);
        }
        const deps = chunk.imports;
        const unshared = unsharedDependencies(deps);
        if (unshared.length > 0) {
          this.error(
            `${chunk.fileName} would require ${unshared.map((d) => `"${d}"`).join(', ')}, which Grafana does not share with plugins: import it from a shared module or let it be bundled`
          );
        }
        const ids = JSON.stringify(deps);
        // On a line of its own, so the source map only needs one empty line in front.
        const header =
          `define(${JSON.stringify(['exports', ...deps])},function(exports){"use strict";` +
          `var deps=Array.prototype.slice.call(arguments,1),ids=${ids};` +
          `function require(id){var i=ids.indexOf(id);if(i<0)throw new Error("module.js requires "+id+", which it did not declare");return deps[i]}`;
        const mapComment = /\n?\/\/# sourceMappingURL=\S+\s*$/.exec(chunk.code)?.[0] ?? '';
        const body = mapComment ? chunk.code.slice(0, -mapComment.length) : chunk.code;
        chunk.code = `${header}\n${body}\n});${mapComment.startsWith('\n') ? mapComment : mapComment ? `\n${mapComment}` : ''}\n`;
        if (chunk.map) {
          chunk.map.mappings = `;${chunk.map.mappings}`;
        }
        const mapAsset = bundle[`${chunk.fileName}.map`];
        if (mapAsset?.type === 'asset' && typeof mapAsset.source === 'string') {
          const map = JSON.parse(mapAsset.source) as { mappings: string };
          map.mappings = `;${map.mappings}`;
          mapAsset.source = JSON.stringify(map);
        }
      }
    },
  };
}

/**
 * Classic JSX compiles to React.createElement, so React must be in scope in
 * every file with JSX: the import is appended (imports are hoisted), which
 * leaves every line where the source map has it. Oxc's jsxInject would do
 * this but also reaches plain .ts files, where it adds a require("react").
 */
function reactInScope(): Plugin {
  return {
    name: 'inhouse-metrics-react-in-scope',
    enforce: 'pre',
    transform: {
      filter: { id: /\.tsx$/ },
      handler(code) {
        return { code: `${code}\nimport * as React from 'react';\n`, map: null };
      },
    },
  };
}

/**
 * Makes the README's relative links absolute for the copy in dist/: Grafana
 * renders that copy on the plugin's page, where a relative link resolves
 * against Grafana's own URL and breaks. They point at the repository as of
 * the release's tag, so the page shows the screenshots and documents of the
 * version installed. Anchors (#...) stay as they are.
 */
export function absoluteReadme(markdown: string, repository: string, version: string): string {
  return markdown.replace(/(!?)\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, image: string, text: string, target: string) => {
    if (/^(https?:|mailto:|#)/.test(target)) {
      return whole;
    }
    const path = target.replace(/^\.\//, '');
    return `${image}[${text}](${repository}/${image ? 'raw' : 'blob'}/v${version}/${path})`;
  });
}

/** Writes what Grafana needs beside module.js, so the output folder is an installable plugin folder. */
function pluginFiles(): Plugin {
  let outDir = '';
  return {
    name: 'inhouse-metrics-plugin-files',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async writeBundle() {
      // package.json is the one source of the version and the repository's address.
      const pkg = JSON.parse(await readFile('package.json', 'utf8'));
      const repository: string = pkg.repository.url;
      const manifest = (await readFile('src/plugin.json', 'utf8'))
        .replaceAll('%VERSION%', pkg.version)
        .replaceAll('%REPOSITORY%', repository)
        .replaceAll('%TODAY%', new Date().toISOString().slice(0, 10));
      await mkdir(join(outDir, 'img'), { recursive: true });
      await writeFile(join(outDir, 'plugin.json'), manifest);
      await copyFile('src/img/logo.svg', join(outDir, 'img/logo.svg'));
      // The screenshots plugin.json lists are the ones the browser test takes into docs/img.
      const shots: Array<{ path: string }> = JSON.parse(manifest).info.screenshots;
      await Promise.all(shots.map((s) => copyFile(join('docs', s.path), join(outDir, s.path))));
      const readme = await readFile('README.md', 'utf8');
      await writeFile(join(outDir, 'README.md'), absoluteReadme(readme, repository, pkg.version));
      await copyFile('LICENSE', join(outDir, 'LICENSE'));
      await copyFile('CHANGELOG.md', join(outDir, 'CHANGELOG.md'));
    },
  };
}

export default defineConfig({
  // React.createElement of Grafana's React, not react/jsx-runtime: Grafana
  // shares that only since 12.3, and a bundled copy makes elements that only
  // its own React version accepts (React 19's are not React 18's, which
  // Grafana ran up to 13.1). reactInScope() imports React where JSX is.
  oxc: { jsx: { runtime: 'classic' } },
  build: {
    outDir: 'dist',
    // cleanFrontend empties it, sparing the backend binaries mage put there.
    emptyOutDir: false,
    sourcemap: true,
    minify: true,
    target: 'es2022',
    lib: {
      entry: 'src/module.ts',
      // Wrapped into AMD by amdModule().
      formats: ['cjs'],
      fileName: () => 'module.js',
    },
    rollupOptions: {
      external: (id) => isExternal(id),
      output: { exports: 'named' },
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
  plugins: [reactInScope(), cleanFrontend(), amdModule(), pluginFiles()],
});
