// The modules Grafana shares with plugins, as the host page's AMD loader
// hands them to module.js: exactly GRAFANA_SHARED (shared.test.ts checks),
// so the browser test fails where Grafana would.
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUI from '@grafana/ui';
import * as lodash from 'lodash';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

import { amdDependencies, unsharedDependencies } from '../../src/build/sharedModules';

export const SHARED_MODULES: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUI,
  '@grafana/runtime': grafanaRuntime,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  lodash,
  rxjs,
  'rxjs/operators': rxjsOperators,
};

type AMDDefine = ((deps: string[], factory: (...args: unknown[]) => void) => void) & { amd: object };

const DEFINE_GLOBAL = '__inhouse_host_amd_define';

/**
 * Loads a plugin's module.js the way Grafana's SystemJS loader does: it
 * fetches the source, recognises an AMD module only by a define( call with
 * quoted dependency names, runs the source with its own define passed in
 * (never a global one, which another AMD loader on the page may own), and
 * resolves the dependencies from the shared modules alone.
 */
export async function loadPluginModule(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  if (!res.ok) {
    throw new Error(`cannot load ${url}: HTTP ${res.status}`);
  }
  const source = await res.text();
  const deps = amdDependencies(source);
  if (!deps) {
    throw new Error(`${url} is not an AMD module with quoted dependency names: Grafana's loader would not find its define() call`);
  }
  const unshared = unsharedDependencies(deps);
  if (unshared.length > 0) {
    throw new Error(`module.js depends on ${unshared.map((d) => `"${d}"`).join(', ')}, which Grafana does not share with plugins`);
  }
  return new Promise((resolve, reject) => {
    const define = ((names: string[], factory: (...args: unknown[]) => void) => {
      const exports: Record<string, unknown> = {};
      try {
        factory(...names.map((d) => (d === 'exports' ? exports : SHARED_MODULES[d])));
        resolve(exports);
      } catch (e) {
        reject(e);
      }
    }) as AMDDefine;
    define.amd = {};
    (window as unknown as Record<string, AMDDefine>)[DEFINE_GLOBAL] = define;
    const wrapped = `(function(define){\n${source}\n})(window.${DEFINE_GLOBAL});\n//# sourceURL=${new URL(url, window.location.href)}`;
    const script = document.createElement('script');
    script.src = URL.createObjectURL(new Blob([wrapped], { type: 'text/javascript' }));
    script.onerror = () => reject(new Error(`cannot run ${url}`));
    document.head.appendChild(script);
  });
}
