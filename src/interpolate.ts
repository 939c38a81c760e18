import { escapeRegex, ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

import { QUERY_TYPE_ANNOTATIONS } from './names';
import { AdhocFilter, PayloadScalar, PayloadValue, Query } from './types';

/**
 * What a multi-value variable becomes (jsonData.multiValue, settings.json):
 * one query whose text holds Grafana's regex alternation, as the JSON
 * datasource and SimpleJSON sent it (the default), or one query per value,
 * for services that cannot read a regex.
 */
export type MultiValueMode = 'regex' | 'split';

/**
 * Most queries one saved query may become. Two variables of 50 values each
 * would make 2,500 calls to the service for one panel, which is never what
 * the author meant.
 */
export const MAX_QUERIES = 100;

/** Most entries one multi-select item may become, for the same reason. */
export const MAX_LIST = 1000;

/** Raised when a query would split into more than MAX_QUERIES queries, or a list item into more than MAX_LIST entries. */
export class SplitError extends Error {}

type Formatter = (value: unknown, variable?: { name?: string }) => string;

// Marks a multi-value variable's place in text until each query's value is
// chosen. NUL never appears in a variable value typed into a dashboard.
const MARK = '\u0000';
const SLOT = new RegExp(`${MARK}(\\d+)${MARK}`, 'g');

const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);

/** The multi-value variables met in one query: each is one dimension its queries vary along. */
class Dimensions {
  private readonly keys: string[] = [];
  readonly values: string[][] = [];

  /** A placeholder for the variable; the same variable met twice is the same dimension. */
  slot(key: string, values: string[]): string {
    let i = this.keys.indexOf(key);
    if (i < 0) {
      i = this.keys.push(key) - 1;
      this.values.push(values);
    }
    return `${MARK}${i}${MARK}`;
  }

  has(key: string): boolean {
    return this.keys.includes(key);
  }

  /** Every choice of one value per dimension, first variable slowest. */
  combinations(limit: number, what: string): string[][] {
    if (limit === 1) {
      // Only the first is wanted: no limit to hold, nothing else to build.
      return this.values.some((v) => v.length === 0) ? [] : [this.values.map((v) => v[0])];
    }
    const count = this.values.reduce((n, v) => n * v.length, 1);
    if (count > limit) {
      const sizes = this.values.map((v, i) => `${this.keys[i]} (${v.length})`).join(' × ');
      throw new SplitError(`${what} would become ${count} ${limit === MAX_QUERIES ? 'queries' : 'entries'} (${sizes}); at most ${limit} are allowed. Select fewer values, or join them with a format such as \${var:csv}.`);
    }
    return this.values.reduce<string[][]>((acc, vals) => acc.flatMap((c) => vals.map((v) => [...c, v])), [[]]);
  }
}

const keyOf = (variable: { name?: string } | undefined, values: string[]) => variable?.name ?? JSON.stringify(values);

const fill = (text: string, choice: string[]) => text.replace(SLOT, (_m, i: string) => choice[Number(i)]);

/** One part of a JSON-text payload: a string literal (quotes included) or the text between literals. */
interface JsonPart {
  literal: boolean;
  text: string;
}

function splitJsonText(text: string): JsonPart[] {
  const parts: JsonPart[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '"') {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < text.length && text[end] !== '"') {
      end += text[end] === '\\' ? 2 : 1;
    }
    if (end >= text.length) {
      break; // Unterminated: the rest stays bare text, and the service reports the JSON error.
    }
    parts.push({ literal: false, text: text.slice(start, i) }, { literal: true, text: text.slice(i, end + 1) });
    i = end + 1;
    start = i;
  }
  parts.push({ literal: false, text: text.slice(start) });
  return parts.filter((p) => p.text !== '');
}

function decodeLiteral(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

/**
 * Interpolates a saved query into the queries sent to the backend.
 *
 * In the split mode, where the saved query holds one string (target, a single-value payload
 * field, a string inside a JSON-text payload), a multi-value variable
 * splits the query: one query per value, or per combination when several
 * such variables appear; the same variable takes the same value everywhere
 * in one query. Where it holds a list (a multi-select entry) or a JSON
 * value (a bare variable in JSON text), the values become list entries.
 * A format written in the text (`${var:csv}`) is Grafana's and makes one
 * string, so it never splits.
 *
 * The `query` text of variable and annotation queries follows the same
 * rules: in the JSON format it is JSON text, like a JSON-text payload (a
 * chained variable's `{"service": "$service"}`); otherwise it is one
 * string, like `target`.
 */
export class Interpolator {
  constructor(
    private readonly templateSrv: TemplateSrv,
    private readonly mode: MultiValueMode = 'regex'
  ) {}

  /** The queries one saved query becomes: always one in the regex mode; in the split mode one per value (see split). */
  expand(query: Query, scopedVars: ScopedVars): Query[] {
    return this.mode === 'regex' ? [this.one(query, scopedVars)] : this.split(query, scopedVars);
  }

  /**
   * The one query a caller that keeps one gets (Explore, expressions): the
   * regex mode's query, or the split mode's first, whatever the number of
   * values, since the others would be dropped anyway. Undefined when a
   * variable with nothing selected leaves no query.
   */
  single(query: Query, scopedVars: ScopedVars): Query | undefined {
    return this.mode === 'regex' ? this.one(query, scopedVars) : this.split(query, scopedVars, 1)[0];
  }

  /**
   * The anchors' way: the target, payload fields (multi-select entries too)
   * and a string variable query in Grafana's regex format, SimpleJSON's
   * annotation text in glob, as they passed them to templateSrv.replace;
   * Grafana formats, so a value is escaped as its escapeRegex does, one
   * value included, and a custom all value goes as written. JSON text keeps
   * its own rules (a bare variable is a list), but a string in it that
   * holds several values gets the regex alternation, so it stays one query.
   */
  private one(query: Query, scopedVars: ScopedVars): Query {
    const regex = (text: string | undefined) => (text === undefined ? undefined : this.templateSrv.replace(text, scopedVars, 'regex'));
    const legend = (text: string | undefined) =>
      text === undefined ? undefined : this.replace(text, scopedVars, (value) => asStrings(value).join(', '));
    const inString: Formatter = (value) => {
      const values = asStrings(value);
      return values.length === 1 ? values[0] : `(${values.map(escapeRegex).join('|')})`;
    };
    let payload = query.payload;
    if (typeof payload === 'string') {
      payload = this.jsonTextTemplate(payload, scopedVars, inString)([]);
    } else if (payload !== undefined && payload !== null) {
      payload = Object.fromEntries(
        Object.entries(payload).map(([name, v]): [string, PayloadValue] => [
          name,
          Array.isArray(v) ? v.map((item) => (typeof item === 'string' ? regex(item)! : item)) : typeof v === 'string' ? regex(v)! : v,
        ])
      );
    }
    const out: Query = { ...query, target: regex(query.target), alias: legend(query.alias), legendFormat: legend(query.legendFormat), payload };
    if (typeof query.query === 'string') {
      if (query.queryType === QUERY_TYPE_ANNOTATIONS) {
        out.query = this.templateSrv.replace(query.query, scopedVars, 'glob');
      } else if (query.format === 'json') {
        out.query = this.jsonTextTemplate(query.query, scopedVars, inString)([]);
      } else {
        out.query = regex(query.query);
      }
    }
    return out;
  }

  /**
   * One query per value of a multi-value variable written where the query
   * holds one string, within MAX_QUERIES (see the class comment).
   */
  private split(query: Query, scopedVars: ScopedVars, limit = MAX_QUERIES): Query[] {
    const dims = new Dimensions();
    const splitting: Formatter = (value, variable) => {
      const values = asStrings(value);
      if (values.length <= 1) {
        return values[0] ?? '';
      }
      return dims.slot(keyOf(variable, values), values);
    };
    const inText = (text: string | undefined) => (text === undefined ? undefined : this.replace(text, scopedVars, splitting));

    const target = inText(query.target);
    const payload = this.payloadTemplate(query.payload, scopedVars, splitting);
    const text = this.queryTextTemplate(query, scopedVars, splitting);
    // A legend follows the split; a variable that does not split the query
    // is listed in it, as a person would write it.
    const legend: Formatter = (value, variable) => {
      const values = asStrings(value);
      const key = keyOf(variable, values);
      return values.length > 1 && dims.has(key) ? dims.slot(key, values) : values.join(', ');
    };
    const inLegend = (text: string | undefined) => (text === undefined ? undefined : this.replace(text, scopedVars, legend));
    const alias = inLegend(query.alias);
    const legendFormat = inLegend(query.legendFormat);

    const at = (text: string | undefined, choice: string[]) => (text === undefined ? undefined : fill(text, choice));
    return dims.combinations(limit, `Query ${query.refId}`).map((choice) => ({
      ...query,
      target: at(target, choice),
      alias: at(alias, choice),
      legendFormat: at(legendFormat, choice),
      payload: payload(choice),
      ...(query.query === undefined ? {} : { query: text(choice) }),
    }));
  }

  /**
   * The dashboard's ad hoc filters as the backend reads them. Variables in a
   * value are replaced; several values of one variable become a regular
   * expression alternation for =~ and !~, `(a|b)` with each value escaped,
   * and are joined with commas for the other operators, which hold one
   * value. A format written in the value (`${var:pipe}`) wins.
   */
  filters(filters: ReadonlyArray<Partial<AdhocFilter>> | undefined, scopedVars: ScopedVars): AdhocFilter[] {
    return (filters ?? [])
      .filter((f) => typeof f.key === 'string' && f.key !== '' && typeof f.operator === 'string')
      .map((f) => {
        const regex = f.operator === '=~' || f.operator === '!~';
        const value = this.replace(String(f.value ?? ''), scopedVars, (v) => {
          const values = asStrings(v);
          if (values.length === 1) {
            return values[0];
          }
          return regex ? `(${values.map(escapeRegex).join('|')})` : values.join(',');
        });
        const out: AdhocFilter = { key: f.key!, operator: f.operator!, value };
        if (typeof f.condition === 'string' && f.condition.trim() !== '') {
          out.condition = f.condition;
        }
        return out;
      });
  }

  /** What the query editor looks fields and options up with: a multi-value variable's first value. */
  first(query: Pick<Query, 'target' | 'payload'>): { target: string; payload: Record<string, PayloadValue> | string } {
    try {
      // The first value, unescaped, whatever the mode: the editor looks up a metric, not a pattern.
      const [q] = this.split({ refId: 'editor', ...query }, {});
      return { target: q?.target ?? '', payload: q?.payload ?? {} };
    } catch {
      return { target: query.target ?? '', payload: query.payload ?? {} };
    }
  }

  private replace(text: string, scopedVars: ScopedVars, format: Formatter): string {
    return this.templateSrv.replace(text, scopedVars, format as (value: string | string[]) => string);
  }

  private payloadTemplate(
    payload: Query['payload'],
    scopedVars: ScopedVars,
    splitting: Formatter
  ): (choice: string[]) => Query['payload'] {
    if (payload === undefined || payload === null) {
      return () => payload;
    }
    if (typeof payload === 'string') {
      return this.jsonTextTemplate(payload, scopedVars, splitting);
    }
    const fields = Object.entries(payload).map(([name, value]): [string, (choice: string[]) => PayloadValue] => {
      if (Array.isArray(value)) {
        const items = value.flatMap((item) => this.listItem(item, scopedVars));
        return [name, () => items];
      }
      if (typeof value === 'string') {
        const text = this.replace(value, scopedVars, splitting);
        return [name, (choice) => fill(text, choice)];
      }
      return [name, () => value];
    });
    return (choice) => Object.fromEntries(fields.map(([name, f]) => [name, f(choice)]));
  }

  private queryTextTemplate(query: Query, scopedVars: ScopedVars, splitting: Formatter): (choice: string[]) => string | undefined {
    const written = query.query;
    if (typeof written !== 'string') {
      return () => written;
    }
    if (query.format === 'json') {
      return this.jsonTextTemplate(written, scopedVars, splitting);
    }
    const text = this.replace(written, scopedVars, splitting);
    return (choice) => fill(text, choice);
  }

  private jsonTextTemplate(text: string, scopedVars: ScopedVars, splitting: Formatter): (choice: string[]) => string {
    const parts = splitJsonText(text).map((p) => this.jsonPart(p, scopedVars, splitting));
    return (choice) => parts.map((p) => p(choice)).join('');
  }

  private jsonPart(part: JsonPart, scopedVars: ScopedVars, splitting: Formatter): (choice: string[]) => string {
    const decoded = part.literal ? decodeLiteral(part.text) : undefined;
    if (decoded !== undefined) {
      // Interpolated as the string it means, then encoded again, so any value
      // (quotes, backslashes, a custom all value) stays one valid JSON string.
      const text = this.replace(decoded, scopedVars, splitting);
      return (choice) => JSON.stringify(fill(text, choice));
    }
    // Between literals a variable stands for a JSON value: a multi-value
    // variable is a list of strings (even of one value); any other value is
    // inserted as written, so `"limit": $limit` gives a number.
    const text = this.replace(part.text, scopedVars, (value) =>
      Array.isArray(value) ? JSON.stringify(value.map(String)) : String(value)
    );
    return () => text;
  }

  /** A multi-select entry: one entry per value, text around the variable repeated on each. */
  private listItem(item: PayloadScalar, scopedVars: ScopedVars): PayloadScalar[] {
    if (typeof item !== 'string') {
      return [item];
    }
    const dims = new Dimensions();
    const text = this.replace(item, scopedVars, (value, variable) => {
      const values = asStrings(value);
      return values.length === 1 ? values[0] : dims.slot(keyOf(variable, values), values);
    });
    return dims.combinations(MAX_LIST, `The list entry "${item}"`).map((choice) => fill(text, choice));
  }
}
