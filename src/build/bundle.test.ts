// @vitest-environment node
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, InlineConfig } from 'vite';

import { amdDependencies, GRAFANA_SHARED, isExternal, unsharedDependencies } from './sharedModules';

const ROOT = resolve(__dirname, '../..');
const CONFIG = join(ROOT, 'vite.config.ts');

// Builds with the plugin's own vite.config.ts into a scratch folder (inside
// node_modules, so imports resolve), never touching dist/.
const scratch = mkdtempSync(join(ROOT, 'node_modules', '.bundle-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function buildInto(name: string, over: InlineConfig['build'] = {}) {
  const outDir = join(scratch, name);
  mkdirSync(outDir, { recursive: true });
  // Vitest runs with NODE_ENV=test, which would make a development bundle
  // (jsx-dev-runtime, file names); npm run build runs in production.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: CONFIG, root: ROOT, logLevel: 'silent', mode: 'production', build: { outDir, ...over } });
  } finally {
    process.env.NODE_ENV = env;
  }
  return outDir;
}

async function buildEntry(name: string, source: string) {
  const entry = join(scratch, `${name}.ts`);
  writeFileSync(entry, source);
  return buildInto(name, { lib: { entry, formats: ['cjs'], fileName: () => 'module.js' } });
}

describe('the bundle Grafana loads', () => {
  let outDir: string;
  let code: string;
  beforeAll(async () => {
    outDir = join(scratch, 'plugin');
    mkdirSync(join(outDir, 'old-chunks'), { recursive: true });
    // What mage and an older frontend build left behind.
    writeFileSync(join(outDir, 'gpx_inhouse_metrics_linux_amd64'), 'backend');
    writeFileSync(join(outDir, 'go_plugin_build_manifest'), 'manifest');
    writeFileSync(join(outDir, 'module.umd.cjs'), 'stale');
    writeFileSync(join(outDir, 'old-chunks', 'chunk.js'), 'stale');
    await buildInto('plugin');
    code = readFileSync(join(outDir, 'module.js'), 'utf8');
  }, 60000);

  it('is an AMD module whose dependency names are plain quoted strings', () => {
    expect(code.split('\n')[0]).toMatch(/^define\(\["exports"(,"[^"]+")*\],function\(exports\)\{/);
    expect(amdDependencies(code)).toBeDefined();
  });

  it('requires only modules Grafana shares', () => {
    const deps = amdDependencies(code)!;
    expect(unsharedDependencies(deps)).toEqual([]);
    expect(deps).toEqual(expect.arrayContaining(['exports', '@grafana/data', '@grafana/ui', '@grafana/runtime', 'react']));
    // Grafana shares it only since 12.3: JSX compiles to React.createElement.
    expect(deps).not.toContain('react/jsx-runtime');
    expect(code).toContain('.createElement(');
  });

  it('exports the plugin and keeps its source map aligned', () => {
    expect(/exports\.plugin=/.test(code)).toBe(true);
    expect(code.includes('jsxDEV')).toBe(false);
    expect(code.trimEnd()).toMatch(/\n\}\);\n\/\/# sourceMappingURL=module\.js\.map$/);
    const map = JSON.parse(readFileSync(join(outDir, 'module.js.map'), 'utf8')) as { mappings: string };
    // The AMD header is a line of its own, with no mappings.
    expect(map.mappings.startsWith(';')).toBe(true);
  });

  it('does not carry plugin.json, whose placeholders the build fills only in dist/plugin.json', () => {
    for (const part of ['%TODAY%', '%VERSION%', '"executable"', 'gpx_inhouse_metrics', 'grafanaDependency']) {
      expect(code.includes(part), part).toBe(false);
    }
  });

  it('starts clean but keeps the backend binaries', () => {
    expect(existsSync(join(outDir, 'module.umd.cjs'))).toBe(false);
    expect(existsSync(join(outDir, 'old-chunks'))).toBe(false);
    expect(readFileSync(join(outDir, 'gpx_inhouse_metrics_linux_amd64'), 'utf8')).toBe('backend');
    expect(readFileSync(join(outDir, 'go_plugin_build_manifest'), 'utf8')).toBe('manifest');
    for (const f of ['plugin.json', 'README.md', 'img/logo.svg', 'module.js.map']) {
      expect(existsSync(join(outDir, f))).toBe(true);
    }
  });
});

describe('the shared modules', () => {
  it.each([
    ['@grafana/schema', false],
    ['@grafana/ui', true],
    ['@grafana/ui/src/components/Combobox', true],
    ['@grafana/data/unstable', true],
    ['@grafana/runtime/internal', true],
    ['react/jsx-runtime', true],
    ['react-dom/client', false],
    ['lodash/get', false],
  ])('%s external: %s', (id, external) => {
    expect(isExternal(id)).toBe(external);
  });

  it('names every shared module once', () => {
    expect(new Set(GRAFANA_SHARED).size).toBe(GRAFANA_SHARED.length);
    expect(GRAFANA_SHARED).not.toContain('@grafana/schema');
  });

  it('sees an unshared dependency', () => {
    expect(unsharedDependencies(['exports', 'react', '@grafana/schema', '@grafana/ui/x'])).toEqual(['@grafana/schema', '@grafana/ui/x']);
  });

  it('bundles a value import of @grafana/schema instead of requiring it', async () => {
    const out = await buildEntry('schema', "import { VizOrientation } from '@grafana/schema';\nexport const o = VizOrientation.Horizontal;\n");
    const code = readFileSync(join(out, 'module.js'), 'utf8');
    expect(amdDependencies(code)).toEqual(['exports']);
    expect(code).toContain('horizontal');
  }, 60000);

  it('refuses react/jsx-runtime, which Grafana before 12.3 does not share', () => {
    expect(unsharedDependencies(['react', 'react/jsx-runtime'])).toEqual(['react/jsx-runtime']);
  });

  it('refuses to build a bundle that requires a module Grafana does not share', async () => {
    await expect(
      buildEntry('subpath', "import { x } from '@grafana/ui/not-shared';\nexport const y = x;\n")
    ).rejects.toThrow(/@grafana\/ui\/not-shared.*Grafana does not share/);
  }, 60000);
});
