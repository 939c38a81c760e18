import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { QUERY_TYPE_VARIABLE } from './names';
import { JsonData, Query } from './types';

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

/**
 * Template variable support: the variable editor, and queries run through
 * the data source's query(), so they are interpolated (chained variables)
 * and reach the backend with queryType "variable". The backend answers one
 * frame of string fields text and value, which Grafana reads as options.
 */
export class VariableSupport extends CustomVariableSupport<DataSource, Query, Query, JsonData> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<Query>): Observable<DataQueryResponse> {
    return this.datasource.query({ ...request, targets: request.targets.map(toVariableQuery) });
  }
}
