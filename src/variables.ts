import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { JsonData, Query } from './types';
import { toVariableQuery } from './variableQuery';

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
