import { ChangeEvent } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Auth, AuthMethod, ConfigSection, convertLegacyAuthProps, DataSourceDescription } from '@grafana/plugin-ui';
import { config } from '@grafana/runtime';
import {
  Alert,
  Divider,
  InlineField,
  InlineSwitch,
  Input,
  RadioButtonGroup,
  SecretInput,
  SecureSocksProxySettings,
  TagsInput,
  Text,
} from '@grafana/ui';


import {
  AuthChoice,
  authChoice,
  MULTI_VALUE,
  NUMBER_KEYS,
  NUMBER_RULES,
  NumberKey,
  Problem,
  resetSecret,
  sendsSecretsInClear,
  Settings,
  validate,
} from '../settings';
import { IDENTITY_TEXT, identityOf, winnerNote, withIdentity } from '../identity';
import { JsonData, SecureJsonData } from '../types';
import { LAYOUT_MULTI, LAYOUT_WIDE } from '../names';
import { useShownProblems } from './useShownProblems';

type Props = DataSourcePluginOptionsEditorProps<JsonData, SecureJsonData>;

const API_KEY_METHOD = 'custom-apiKey' as const;
const LABEL_WIDTH = 28;

/**
 * The width of @grafana/plugin-ui's Auth section (its maxWidth), which the
 * URL field matches so the page reads as one column.
 */
export const AUTH_SECTION_WIDTH = 578;

/** How a unit from settings.json shows in a label; labels there stay unit-free, since backend errors quote them. */
const UNIT_IN_LABEL: Record<string, string> = { seconds: 's', MB: 'MB', KB: 'KB' };

export function numberLabel(key: NumberKey): string {
  const { label, unit } = NUMBER_RULES[key];
  return unit === '' ? label : `${label} (${UNIT_IN_LABEL[unit] ?? unit})`;
}

/**
 * Grafana's page for this plugin, which shows the README (copied into
 * dist/ by the build); the plugin has no public web address to link to.
 * A data source's type is its plugin's id, so the bundle need not carry
 * plugin.json to know it.
 */
function docsLink(pluginId: string): string {
  return `${config.appSubUrl ?? ''}/plugins/${pluginId}`;
}

const shownAsNumber = (v: unknown) =>
  v === undefined || v === null || typeof v === 'number' || (typeof v === 'string' && (v.trim() === '' || Number.isFinite(Number(v))));

const shownValue = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? v : JSON.stringify(v));

/** Tooltips of the number fields; their labels, ranges and defaults come from pkg/models/settings.json. */
export const NUMBER_HELP: Record<NumberKey, string> = {
  timeout: 'Seconds for a whole call to the service, body included.',
  maxResponseMB: 'Larger answers fail with a clear error, in MB.',
  concurrency: `Queries of one panel or alert run at once, ${NUMBER_RULES.concurrency.min} to ${NUMBER_RULES.concurrency.max}.`,
  cacheTTLSeconds: 'Seconds to reuse an identical answer; 0 turns the cache off. Alert rules always bypass it.',
  cacheMaxMB: 'MB the cache may hold.',
  maxSeries: 'Answers with more series fail with a clear error instead of overloading Grafana and the browser. The Grafana operator may set a lower ceiling.',
  maxPoints: 'Answers with more time series points fail with a clear error. The Grafana operator may set a lower ceiling.',
  maxCells: 'Answers with more table cells fail with a clear error. The Grafana operator may set a lower ceiling.',
  maxListItems:
    'Variable options, ad hoc filter keys and values, and annotation events: a longer list fails with a clear error. The Grafana operator may set a lower ceiling.',
  maxItemKB:
    'KB of one option, event text or tag list; a longer one fails the list with a clear error. The Grafana operator may set a lower ceiling.',
  maxEventTags: 'Tags of one annotation event; more fail the annotation query with a clear error. The Grafana operator may set a lower ceiling.',
  liveMinIntervalSeconds:
    'Live panels poll the service once per panel interval, but never more often than this. The Grafana operator may set a longer floor.',
};

/** The layout choice; its values come from pkg/models/names.json, which the backend's constants are tested against. */
export const LAYOUT_OPTIONS = [
  { value: LAYOUT_MULTI, label: 'One frame per series', description: 'timeseries-multi: works for every answer (the default)' },
  { value: LAYOUT_WIDE, label: 'Wide', description: 'timeseries-wide: one frame for series that share their timestamps' },
];

export const LAYOUT_HINT =
  'Choose Wide when the service samples every series on the same fixed interval; other answers still arrive one frame per series.';

export const LAYOUT_HELP =
  'Wide sends series that share their timestamps (services sampling on a fixed interval) as one frame, so the timestamps go out once: fewer bytes for Grafana to encode and the browser to read. An answer whose timestamps differ still goes out one frame per series, with a notice saying why. Alert rules read both.';

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const allProblems = validate(options);
  const { shown: problems, typing, blurred } = useShownProblems(options, allProblems);
  const identity = identityOf(options);
  const winner = winnerNote(options);
  const problemFor = (field: Problem['field']) => problems.find((p) => p.field === field)?.message;
  const choice = authChoice(options);

  // The legacy converter wires basic auth, TLS and custom headers to
  // Grafana's standard keys (and resets their secrets); the API key and the
  // method choice are ours.
  const legacy = convertLegacyAuthProps({ config: options, onChange: onOptionsChange });

  const selectAuth = (method: string) => {
    const next: AuthChoice = method === AuthMethod.BasicAuth ? 'basic' : method === API_KEY_METHOD ? 'apiKey' : 'none';
    let s: Settings = { ...options, basicAuth: next === 'basic', jsonData: { ...options.jsonData, authMethod: next } };
    // Both use the Authorization header: a key left behind would make the
    // backend refuse the settings, so leaving a method forgets its secret.
    if (next !== 'apiKey') {
      s = resetSecret(s, 'apiKey');
    }
    if (next !== 'basic') {
      s = resetSecret({ ...s, basicAuthUser: '' }, 'basicAuthPassword');
    }
    onOptionsChange(s);
  };

  const setNumber = (key: NumberKey) => (e: ChangeEvent<HTMLInputElement>) => {
    const text = e.currentTarget.value.trim();
    const jsonData = { ...options.jsonData };
    typing(key);
    if (text === '') {
      delete jsonData[key];
    } else {
      // Text that is no number stays as typed, so the field shows what its error is about.
      jsonData[key] = Number.isFinite(Number(text)) ? Number(text) : (text as unknown as number);
    }
    onOptionsChange({ ...options, jsonData });
  };

  const numberField = (key: NumberKey) => (
    <InlineField
      key={key}
      label={numberLabel(key)}
      labelWidth={LABEL_WIDTH}
      tooltip={NUMBER_HELP[key]}
      invalid={Boolean(problemFor(key))}
      error={problemFor(key)}
      disabled={options.readOnly}
      htmlFor={`inhouse-${key}`}
    >
      <Input
        id={`inhouse-${key}`}
        // A number input shows nothing for text that is no number (provisioned as "30s"): a text input shows it beside its error.
        type={shownAsNumber(options.jsonData[key]) ? 'number' : 'text'}
        width={24}
        placeholder={String(NUMBER_RULES[key].default)}
        value={shownValue(options.jsonData[key])}
        onChange={setNumber(key)}
        onBlur={() => blurred(key)}
      />
    </InlineField>
  );

  return (
    <>
      <DataSourceDescription dataSourceName="In-house Metrics" docsLink={docsLink(options.type)} hasRequiredFields />
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

      <ConfigSection title="Connection" description="The base URL of your in-house metrics service. Grafana's server calls it, not the browser.">
        <div data-testid="url-field" style={{ maxWidth: AUTH_SECTION_WIDTH }}>
          <InlineField
            label="URL"
            labelWidth={LABEL_WIDTH}
            required
            grow
            invalid={Boolean(problemFor('url'))}
            error={problemFor('url')}
            disabled={options.readOnly}
            htmlFor="inhouse-url"
            tooltip="Health checks GET this URL; queries POST to its /query, /metrics and /metric-payload-options. A path is kept as written."
          >
            <Input
              id="inhouse-url"
              placeholder="http://metrics.internal:8080"
              value={options.url ?? ''}
              onChange={(e) => {
                typing('url');
                onOptionsChange({ ...options, url: e.currentTarget.value });
              }}
              onBlur={() => blurred('url')}
            />
          </InlineField>
        </div>
      </ConfigSection>

      <Divider />

      <Auth
        {...legacy}
        selectedMethod={choice === 'basic' ? AuthMethod.BasicAuth : choice === 'apiKey' ? API_KEY_METHOD : AuthMethod.NoAuth}
        visibleMethods={[AuthMethod.NoAuth, AuthMethod.BasicAuth, API_KEY_METHOD]}
        onAuthMethodSelect={selectAuth}
        customMethods={[
          {
            id: API_KEY_METHOD,
            label: 'API key',
            description: 'Sends the key as "Authorization: Bearer <key>" on every call',
            component: (
              <InlineField
                label="API key"
                labelWidth={LABEL_WIDTH}
                required
                grow
                invalid={Boolean(problemFor('apiKey'))}
                error={problemFor('apiKey')}
                disabled={options.readOnly}
                htmlFor="inhouse-api-key"
                tooltip="Stored encrypted by Grafana; once saved it is never sent back to the browser."
              >
                <SecretInput
                  id="inhouse-api-key"
                  isConfigured={Boolean(options.secureJsonFields?.apiKey)}
                  value={options.secureJsonData?.apiKey ?? ''}
                  placeholder="API key"
                  onChange={(e) =>
                    onOptionsChange({
                      ...options,
                      secureJsonData: { ...options.secureJsonData, apiKey: e.currentTarget.value },
                    })
                  }
                  onReset={() => onOptionsChange(resetSecret(options, 'apiKey'))}
                />
              </InlineField>
            ),
          },
        ]}
      />

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

      {/* Per-user identity: separate from the method above, which alert rules (no user) still use. */}
      <ConfigSection
        title="Per-user identity"
        description="What of the signed-in Grafana user reaches the service. Answers are cached and shared per user."
        isCollapsible
        isInitiallyOpen={Boolean(identity.oauthPassThru || identity.sendUserHeader || identity.keepCookies?.length)}
      >
        {(['oauthPassThru', 'sendUserHeader'] as const).map((key) => (
          <InlineField
            key={key}
            label={IDENTITY_TEXT[key].label}
            labelWidth={LABEL_WIDTH}
            tooltip={IDENTITY_TEXT[key].description}
            disabled={options.readOnly}
            htmlFor={`inhouse-${key}`}
          >
            <InlineSwitch
              id={`inhouse-${key}`}
              value={Boolean(identity[key])}
              onChange={(e) => onOptionsChange(withIdentity(options, { [key]: e.currentTarget.checked }))}
            />
          </InlineField>
        ))}
        <InlineField
          label={IDENTITY_TEXT.keepCookies.label}
          labelWidth={LABEL_WIDTH}
          tooltip={IDENTITY_TEXT.keepCookies.description}
          disabled={options.readOnly}
          htmlFor="inhouse-keepCookies"
        >
          <TagsInput
            id="inhouse-keepCookies"
            width={48}
            placeholder="session_id (Enter to add)"
            tags={identity.keepCookies ?? []}
            onChange={(keepCookies) => onOptionsChange(withIdentity(options, { keepCookies }))}
          />
        </InlineField>
        {winner && (
          <Alert severity="info" title="Which credentials win" data-testid="identity-winner">
            {winner}
          </Alert>
        )}
      </ConfigSection>

      {/* Grafana's private data source connect: only where the operator turned the feature on, as first-party data sources do. */}
      {config.secureSocksDSProxyEnabled && (
        <>
          <Divider />
          <SecureSocksProxySettings options={options} onOptionsChange={onOptionsChange} />
        </>
      )}

      <Divider />

      <ConfigSection
        title="Additional settings"
        description="Limits that protect Grafana and the service. Empty fields use the default."
        isCollapsible
        isInitiallyOpen={allProblems.some((p) => p.field in NUMBER_RULES || p.field === 'layout' || p.field === 'multiValue')}
      >
        {NUMBER_KEYS.map((key) => numberField(key))}
        <InlineField
          label="Downsample"
          labelWidth={LABEL_WIDTH}
          tooltip="Reduce each series to the points the panel can draw (its max data points), keeping the lowest and highest value of each interval so no spike is lost. Panels get a notice; alert rules always get every point."
          disabled={options.readOnly}
          htmlFor="inhouse-downsample"
        >
          <InlineSwitch
            id="inhouse-downsample"
            value={Boolean(options.jsonData.downsample)}
            onChange={(e) =>
              onOptionsChange({ ...options, jsonData: { ...options.jsonData, downsample: e.currentTarget.checked } })
            }
          />
        </InlineField>
        <InlineField
          label="Layout"
          labelWidth={LABEL_WIDTH}
          tooltip={LAYOUT_HELP}
          invalid={Boolean(problemFor('layout'))}
          error={problemFor('layout')}
          disabled={options.readOnly}
        >
          <RadioButtonGroup
            aria-label="Layout"
            options={LAYOUT_OPTIONS}
            value={options.jsonData.layout || LAYOUT_MULTI}
            onChange={(layout) => onOptionsChange({ ...options, jsonData: { ...options.jsonData, layout } })}
          />
        </InlineField>
        <div data-testid="layout-hint" style={{ marginBottom: 8 }}>
          <Text variant="bodySmall" color="secondary">
            {LAYOUT_HINT}
          </Text>
        </div>
        <InlineField
          label={MULTI_VALUE.label}
          labelWidth={LABEL_WIDTH}
          tooltip="What a multi-value or All variable becomes in a query: one query with Grafana's regex format, (a|b), as the JSON datasource and SimpleJSON sent it, or one query per value (at most 100) for services that cannot read a regex."
          invalid={Boolean(problemFor('multiValue'))}
          error={problemFor('multiValue')}
          disabled={options.readOnly}
        >
          <RadioButtonGroup
            aria-label={MULTI_VALUE.label}
            options={MULTI_VALUE.options}
            value={options.jsonData.multiValue || MULTI_VALUE.default}
            onChange={(multiValue) => onOptionsChange({ ...options, jsonData: { ...options.jsonData, multiValue } })}
          />
        </InlineField>
        <InlineField
          label="Allowed hosts"
          labelWidth={LABEL_WIDTH}
          tooltip="Other hosts (host or host:port) the service may redirect to. Credentials are never sent to them."
          disabled={options.readOnly}
          htmlFor="inhouse-allowed-hosts"
        >
          <TagsInput
            id="inhouse-allowed-hosts"
            width={48}
            placeholder="cdn.internal:8443 (Enter to add)"
            tags={options.jsonData.allowedHosts ?? []}
            onChange={(allowedHosts) =>
              onOptionsChange({ ...options, jsonData: { ...options.jsonData, allowedHosts } })
            }
          />
        </InlineField>
      </ConfigSection>
    </>
  );
}
