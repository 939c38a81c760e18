import { escapeRegex, ScopedVars, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

/** A dashboard variable as the double needs it: its options and what is selected. */
export interface VariableSpec {
  /** Selected value(s); '$__all' (or ['$__all']) selects "All". */
  current: string | string[];
  /** Every option's value, which "All" stands for when no custom all value is set. */
  options?: string[];
  multi?: boolean;
  includeAll?: boolean;
  /** The "Custom all value" field. */
  allValue?: string;
}

export type Vars = Record<string, string | string[] | VariableSpec>;

type FormatFn = (value: string | string[], variable: { name: string; multi?: boolean; includeAll?: boolean }) => string;
type Format = string | FormatFn | undefined;

const ALL = '$__all';

// The same three syntaxes Grafana reads: $name, [[name]] or [[name:format]],
// ${name} or ${name:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

const escapeLucene = (v: string) => v.replace(/([!*+\-=<>\s&|()[\]{}^~?:\\/"])/g, '\\$1');
const encodeStrict = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/**
 * Grafana's named formats, with the results its documentation gives for
 * servers = ['test1', 'test2'] ("Advanced variable format options").
 */
export const FORMATS: Record<string, (v: string | string[], name: string, text: string) => string> = {
  glob: (v) => (Array.isArray(v) && v.length > 1 ? `{${v.join(',')}}` : String(v)),
  csv: (v) => list(v).join(','),
  pipe: (v) => list(v).join('|'),
  raw: (v) => String(v),
  json: (v) => JSON.stringify(v),
  // Grafana's: a string or a list of one is escaped, any other list (none
  // selected included) is an alternation of escaped values.
  regex: (v) => {
    const escaped = list(v).map(escapeRegex);
    return escaped.length === 1 ? escaped[0] : `(${escaped.join('|')})`;
  },
  lucene: (v) =>
    Array.isArray(v) ? (v.length === 0 ? '__empty__' : `(${v.map((x) => `"${escapeLucene(x)}"`).join(' OR ')})`) : escapeLucene(v),
  distributed: (v, name) => list(v).map((x, i) => (i === 0 ? x : `${name}=${x}`)).join(','),
  doublequote: (v) => list(v).map((x) => `"${x.replace(/"/g, '\\"')}"`).join(','),
  singlequote: (v) => list(v).map((x) => `'${x.replace(/'/g, "\\'")}'`).join(','),
  sqlstring: (v) => list(v).map((x) => `'${x.replace(/'/g, "''")}'`).join(','),
  percentencode: (v) => (Array.isArray(v) && v.length > 1 ? encodeStrict(`{${v.join(',')}}`) : encodeStrict(String(v))),
  queryparam: (v, name) => list(v).map((x) => `var-${encodeStrict(name)}=${encodeStrict(x)}`).join('&'),
  text: (_v, _name, text) => text,
};

function spec(v: string | string[] | VariableSpec): VariableSpec {
  if (typeof v === 'string' || Array.isArray(v)) {
    return { current: v, options: list(v), multi: Array.isArray(v) };
  }
  return v;
}

/**
 * A template service that interpolates as Grafana's does: scoped variables
 * win, a format function gets the raw value (a list for a multi-value
 * variable), "All" stands for every option unless a custom all value is
 * set, which is inserted as written whatever the format (Grafana formats it
 * only for text, percentencode and queryparam), an unknown format falls
 * back to glob, and unknown variables stay as written.
 */
export function fakeTemplateSrv(initial: Vars): TemplateSrv & { vars: Vars } {
  const vars: Vars = { ...initial };

  const formatOne = (name: string, s: VariableSpec, format: Format): string => {
    const selectedAll = list(s.current).includes(ALL);
    if (selectedAll && s.allValue !== undefined) {
      if (format === 'text') {
        return 'All';
      }
      if (format === 'percentencode') {
        return encodeStrict(s.allValue);
      }
      if (format === 'queryparam') {
        return `var-${name}=${encodeStrict(ALL)}`;
      }
      return s.allValue;
    }
    const value: string | string[] = selectedAll ? (s.options ?? []).filter((o) => o !== ALL) : s.current;
    if (typeof format === 'function') {
      return format(value, { name, multi: s.multi, includeAll: s.includeAll });
    }
    const text = selectedAll ? 'All' : list(value).join(' + ');
    const formatter = FORMATS[format ?? 'glob'] ?? FORMATS.glob;
    return formatter(value, name, text);
  };

  const replace = (target?: string, scopedVars?: ScopedVars, format?: Format): string => {
    if (!target) {
      return target ?? '';
    }
    return target.replace(VARIABLE, (whole, bare?: string, old?: string, oldFormat?: string, braced?: string, bracedFormat?: string) => {
      const name = bare ?? old ?? braced ?? '';
      const written = oldFormat ?? bracedFormat;
      const scoped = scopedVars?.[name];
      const s = scoped ? { current: scoped.value as string | string[] } : vars[name] !== undefined ? spec(vars[name]) : undefined;
      if (!s) {
        return whole;
      }
      return formatOne(name, s, written ?? format);
    });
  };

  return {
    vars,
    replace,
    getVariables: () =>
      Object.entries(vars).map(([name, v]) => {
        const s = spec(v);
        return { name, multi: s.multi, includeAll: s.includeAll, allValue: s.allValue, current: { value: s.current } } as unknown as TypedVariableModel;
      }),
    containsTemplate: (target?: string) => Boolean(target && new RegExp(VARIABLE.source).test(target)),
    updateTimeRange: () => {},
  } as unknown as TemplateSrv & { vars: Vars };
}
