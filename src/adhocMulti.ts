import { AdHocVariableFilter, escapeRegex } from '@grafana/data';

/** Grafana's multi-value ad hoc operators (plugin.json's multiValueFilterOperators): one of the values, none of them. */
const AS_REGEX: Record<string, string> = { '=|': '=~', '!=|': '!~' };

/**
 * Writes a filter with several values (`host =| web-1, web-2`) the way the
 * JSON datasource sends several values of a variable: the regex operator
 * with an alternation of escaped values, `host =~ (web-1|web-2)`. Services
 * built for the JSON datasource already read that form; they would not
 * know `=|`, nor Grafana's `values` list.
 */
export function multiValueAsRegex(filters: AdHocVariableFilter[] | undefined): AdHocVariableFilter[] | undefined {
  return filters?.map((f) => {
    const operator = AS_REGEX[f.operator];
    if (operator === undefined) {
      return f;
    }
    const values = f.values && f.values.length > 0 ? f.values : [f.value];
    return { key: f.key, operator, value: `(${values.map(escapeRegex).join('|')})`, condition: f.condition };
  });
}
