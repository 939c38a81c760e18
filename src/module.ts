import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { InhouseOptions, InhouseQuery, InhouseSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, InhouseQuery, InhouseOptions, InhouseSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
