/**
 * The modules Grafana hands to plugins when it loads module.js: the bundle
 * requires these and bundles everything else. A module outside this list
 * fails to load in Grafana ("cannot resolve"); one bundled although listed
 * is a second copy (a second React, a second theme).
 *
 * Source: Grafana's plugin loader, sharedDependenciesMap in
 * public/app/features/plugins/loader/sharedDependencies.ts, which also
 * shares moment, d3, i18next, jquery, redux, react-router, slate and a few
 * legacy app/* paths this plugin does not use (add one here and to
 * browser-test/host/shared.ts before importing it). This list is what
 * every Grafana inside plugin.json's grafanaDependency (11.6 and later)
 * shares: react/jsx-runtime is missing, shared only since 12.3, so JSX
 * compiles to React.createElement (vite.config.ts). @grafana/schema is not
 * shared: it must be bundled, or imported for types only.
 */
export const GRAFANA_SHARED: readonly string[] = [
  '@emotion/css',
  '@emotion/react',
  '@grafana/data',
  '@grafana/runtime',
  '@grafana/ui',
  'lodash',
  'react',
  'react-dom',
  'rxjs',
  'rxjs/operators',
];

/**
 * Packages Grafana shares whose subpath imports must not be bundled either:
 * a bundled @grafana/ui/... would be a second copy of @grafana/ui, a
 * bundled react/jsx-runtime makes elements of its own React version. They
 * are kept external, and since Grafana shares only the names above, the
 * build refuses them instead of emitting a bundle that cannot load.
 */
const SHARED_PREFIXES = ['@grafana/data/', '@grafana/runtime/', '@grafana/ui/', 'react/'];

/** Whether the bundle leaves this import to Grafana (the build's external option). */
export function isExternal(id: string): boolean {
  return GRAFANA_SHARED.includes(id) || SHARED_PREFIXES.some((p) => id.startsWith(p));
}

/** The dependencies an AMD module may declare besides Grafana's shared modules. */
const AMD_BUILTINS = ['exports'];

/** The declared dependencies Grafana would not resolve. */
export function unsharedDependencies(deps: readonly string[]): string[] {
  return deps.filter((d) => !AMD_BUILTINS.includes(d) && !GRAFANA_SHARED.includes(d));
}

// Grafana's loader recognises an AMD module by a define( call whose
// dependency list holds quoted strings, not template literals.
const AMD_HEADER = /^define\((\[(?:"[^"\\]+"(?:,"[^"\\]+")*)?\]),function\(/;

/** The dependency list of a module.js written as AMD with quoted names, or undefined if it is not one. */
export function amdDependencies(code: string): string[] | undefined {
  const m = AMD_HEADER.exec(code);
  return m ? (JSON.parse(m[1]) as string[]) : undefined;
}
