// A saved variable query and how it reads: what the variable support
// (variables.ts) and the variable editor both need, apart from either, so
// neither imports the other at run time.
import { QUERY_TYPE_VARIABLE } from './names';
import { Query } from './types';

/** Grafana runs a variable's query without a refId. */
const VARIABLE_REF_ID = 'variable';

/**
 * Reads a saved variable query: the JSON datasource's {query, format},
 * ours {target, payload}, or the bare text the oldest JSON datasource
 * versions saved (and Grafana holds for a new variable). Whatever was
 * saved, it goes to the backend as a variable query.
 */
export function toVariableQuery(saved: unknown): Query {
  if (typeof saved === 'string') {
    return { refId: VARIABLE_REF_ID, queryType: QUERY_TYPE_VARIABLE, query: saved, format: 'string' };
  }
  const q = (saved !== null && typeof saved === 'object' ? saved : {}) as Partial<Query>;
  return { ...q, refId: q.refId || VARIABLE_REF_ID, queryType: QUERY_TYPE_VARIABLE };
}

/** Whether a variable query is in our own model, {target, payload}, rather than the JSON datasource's. */
export const isOwnVariableModel = (q: Query) => typeof q.target === 'string' && q.query === undefined;
