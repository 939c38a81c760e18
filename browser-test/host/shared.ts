// The modules Grafana shares with plugins, as the host page's AMD loader
// hands them to module.js. Keep in step with GRAFANA_SHARED in
// vite.config.ts: the loader refuses anything else.
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaSchema from '@grafana/schema';
import * as grafanaUI from '@grafana/ui';
import * as lodash from 'lodash';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

export const SHARED_MODULES: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  'react/jsx-runtime': jsxRuntime,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUI,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/schema': grafanaSchema,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  lodash,
  rxjs,
  'rxjs/operators': rxjsOperators,
};

type AMDDefine = ((deps: string[], factory: (...args: unknown[]) => void) => void) & { amd: object };

/**
 * Loads a plugin's module.js the way Grafana's SystemJS loader does: the
 * bundle calls define() with its dependencies, which must all be shared
 * modules, and fills "exports".
 */
export function loadPluginModule(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const define = ((deps: string[], factory: (...args: unknown[]) => void) => {
      const exports: Record<string, unknown> = {};
      try {
        const args = deps.map((d) => {
          if (d === 'exports') {
            return exports;
          }
          if (!(d in SHARED_MODULES)) {
            throw new Error(`module.js depends on "${d}", which Grafana does not share with plugins`);
          }
          return SHARED_MODULES[d];
        });
        factory(...args);
        resolve(exports);
      } catch (e) {
        reject(e);
      }
    }) as AMDDefine;
    define.amd = {};
    (window as unknown as { define: AMDDefine }).define = define;
    const script = document.createElement('script');
    script.src = url;
    script.onerror = () => reject(new Error(`cannot load ${url}`));
    document.head.appendChild(script);
  });
}
