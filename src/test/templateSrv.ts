import { ScopedVars, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

type Format = string | ((value: string | string[]) => string) | undefined;

/**
 * A template service with Grafana's replace rules for $name and ${name}:
 * scoped variables win over dashboard ones, a format function receives the
 * raw value, and without a format several values become {a,b}.
 */
export function fakeTemplateSrv(vars: Record<string, string | string[]>): TemplateSrv {
  const replace = (target?: string, scopedVars?: ScopedVars, format?: Format): string => {
    if (!target) {
      return target ?? '';
    }
    return target.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string, bare: string) => {
      const name = braced ?? bare;
      const value: string | string[] | undefined = scopedVars?.[name]?.value ?? vars[name];
      if (value === undefined) {
        return whole;
      }
      if (typeof format === 'function') {
        return format(value);
      }
      if (format === 'json') {
        return JSON.stringify(value);
      }
      return Array.isArray(value) ? (value.length === 1 ? value[0] : `{${value.join(',')}}`) : String(value);
    });
  };
  return {
    replace,
    getVariables: () => Object.keys(vars).map((name) => ({ name }) as TypedVariableModel),
    containsTemplate: (target?: string) => Boolean(target && /\$\{?\w+/.test(target)),
    updateTimeRange: () => {},
  } as unknown as TemplateSrv;
}
