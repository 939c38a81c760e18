import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { config } from '@grafana/runtime';
import { Alert, Divider, SecureSocksProxySettings } from '@grafana/ui';

import { Problem, sendsSecretsInClear, validate } from '../settings';
import { JsonData, SecureJsonData } from '../types';
import { AdditionalSettings } from './config/AdditionalSettings';
import { AuthSection } from './config/AuthSection';
import { DataSourceDescription } from './config/ConfigSection';
import { ConnectionSection } from './config/ConnectionSection';
import { IdentitySection } from './config/IdentitySection';
import { useShownProblems } from './useShownProblems';

export { AUTH_SECTION_WIDTH } from './config/section';
export { LAYOUT_HELP, LAYOUT_HINT, LAYOUT_OPTIONS, NUMBER_HELP, numberLabel } from './config/AdditionalSettings';

type Props = DataSourcePluginOptionsEditorProps<JsonData, SecureJsonData>;

/**
 * Grafana's page for this plugin, which shows the README (copied into
 * dist/ by the build); the plugin has no public web address to link to.
 * A data source's type is its plugin's id, so the bundle need not carry
 * plugin.json to know it.
 */
function docsLink(pluginId: string): string {
  return `${config.appSubUrl ?? ''}/plugins/${pluginId}`;
}

/**
 * The data source's configuration page: its sections, and the problems
 * that keep it from working, validated as the user leaves a field
 * (useShownProblems).
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const allProblems = validate(options);
  const { shown: problems, typing, blurred } = useShownProblems(options, allProblems);
  const problemFor = (field: Problem['field']) => problems.find((p) => p.field === field)?.message;
  const section = { options, onOptionsChange };

  return (
    <>
      <DataSourceDescription dataSourceName="In-house Metrics" docsLink={docsLink(options.type)} />
      <Divider />

      {problems.length > 0 && (
        <Alert severity="warning" title="This configuration is not complete yet" data-testid="config-problems">
          <ul>
            {problems.map((p) => (
              <li key={p.field + p.message}>{p.message}</li>
            ))}
          </ul>
        </Alert>
      )}

      <ConnectionSection {...section} problemFor={problemFor} typing={() => typing('url')} blurred={() => blurred('url')} />
      <Divider />
      <AuthSection {...section} problemFor={problemFor} />

      {options.jsonData.tlsSkipVerify && (
        <Alert severity="warning" title="TLS certificate verification is off" data-testid="skip-verify-warning">
          Grafana will accept any certificate from the service, so anyone between them can read and change the
          traffic, API key included. Add the service&apos;s CA certificate instead and turn this off.
        </Alert>
      )}
      {sendsSecretsInClear(options) && (
        <Alert severity="info" title="Credentials travel unencrypted" data-testid="cleartext-warning">
          The URL uses http://, so the credentials above are sent in clear text. Use https:// unless the service is
          on a trusted network.
        </Alert>
      )}

      <Divider />
      <IdentitySection {...section} />

      {/* Grafana's private data source connect: only where the operator turned the feature on, as first-party data sources do. */}
      {config.secureSocksDSProxyEnabled && (
        <>
          <Divider />
          <SecureSocksProxySettings options={options} onOptionsChange={onOptionsChange} />
        </>
      )}

      <Divider />
      <AdditionalSettings {...section} problemFor={problemFor} allProblems={allProblems} typing={typing} blurred={blurred} />
    </>
  );
}
