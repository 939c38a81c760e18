import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Combobox, Field, InlineField, Input, SecretInput, useStyles2 } from '@grafana/ui';

import { AuthChoice, authChoice, resetSecret, Settings } from '../../settings';
import { ConfigSection } from './ConfigSection';
import { CustomHeaders } from './CustomHeaders';
import { AUTH_SECTION_WIDTH, LABEL_WIDTH, ProblemFor, SectionProps } from './section';
import { TLSSettings } from './TLSSettings';

const METHODS: Array<{ value: AuthChoice; label: string; description: string }> = [
  { value: 'none', label: 'No Authentication', description: 'The service is available without authentication' },
  { value: 'basic', label: 'Basic authentication', description: 'Sends a user and password with every call' },
  { value: 'apiKey', label: 'API key', description: 'Sends the key as "Authorization: Bearer <key>" on every call' },
];

/** Chooses the method: both use the Authorization header, so leaving a method forgets its secret (the backend refuses both at once). */
export function withAuthChoice(options: Settings, next: AuthChoice): Settings {
  let s: Settings = { ...options, basicAuth: next === 'basic', jsonData: { ...options.jsonData, authMethod: next } };
  if (next !== 'apiKey') {
    s = resetSecret(s, 'apiKey');
  }
  if (next !== 'basic') {
    s = resetSecret({ ...s, basicAuthUser: '' }, 'basicAuthPassword');
  }
  return s;
}

type SecretKey = 'apiKey' | 'basicAuthPassword';

/** One secret of the chosen method: typed once, then shown only as configured until reset. */
function SecretField({
  secret,
  label,
  id,
  invalid,
  error,
  options,
  onOptionsChange,
}: SectionProps & { secret: SecretKey; label: string; id: string; invalid: boolean; error?: string }) {
  return (
    <InlineField
      label={label}
      labelWidth={LABEL_WIDTH}
      tooltip="Stored encrypted by Grafana; once saved it is never sent back to the browser."
      required
      grow
      invalid={invalid}
      error={error}
      disabled={options.readOnly}
      htmlFor={id}
    >
      <SecretInput
        id={id}
        isConfigured={Boolean(options.secureJsonFields?.[secret])}
        value={options.secureJsonData?.[secret] ?? ''}
        placeholder={label}
        onChange={(e) => onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, [secret]: e.currentTarget.value } })}
        onReset={() => onOptionsChange(resetSecret(options, secret))}
      />
    </InlineField>
  );
}

/** How the plugin authenticates to the service, with TLS and extra headers: what alert rules (no user) use too. */
export function AuthSection({ options, onOptionsChange, problemFor }: SectionProps & { problemFor: ProblemFor }) {
  const styles = useStyles2(getStyles);
  const choice = authChoice(options);
  const readOnly = options.readOnly;
  return (
    <div style={{ maxWidth: AUTH_SECTION_WIDTH }}>
      <ConfigSection title="Authentication">
        <ConfigSection sub title="Authentication methods" description="How the plugin proves to your service that Grafana may read it">
          <div className={styles.methods}>
            <Field label="Authentication method" htmlFor="auth-method-select">
              <Combobox<AuthChoice>
                id="auth-method-select"
                options={METHODS}
                value={choice}
                disabled={readOnly}
                onChange={(o) => onOptionsChange(withAuthChoice(options, o.value))}
              />
            </Field>
            {choice === 'basic' && (
              <div className={styles.fields}>
                <InlineField
                  label="User"
                  labelWidth={LABEL_WIDTH}
                  tooltip="The user of the service's account"
                  required
                  grow
                  invalid={Boolean(problemFor('basicAuthUser'))}
                  disabled={readOnly}
                  htmlFor="basic-auth-user-input"
                >
                  <Input
                    id="basic-auth-user-input"
                    placeholder="User"
                    value={options.basicAuthUser ?? ''}
                    onChange={(e) => onOptionsChange({ ...options, basicAuthUser: e.currentTarget.value })}
                  />
                </InlineField>
                <SecretField
                  secret="basicAuthPassword"
                  label="Password"
                  id="basic-auth-password-input"
                  invalid={Boolean(problemFor('basicAuthPassword'))}
                  options={options}
                  onOptionsChange={onOptionsChange}
                />
              </div>
            )}
            {choice === 'apiKey' && (
              <div className={styles.fields}>
                <SecretField
                  secret="apiKey"
                  label="API key"
                  id="inhouse-api-key"
                  invalid={Boolean(problemFor('apiKey'))}
                  error={problemFor('apiKey')}
                  options={options}
                  onOptionsChange={onOptionsChange}
                />
              </div>
            )}
          </div>
        </ConfigSection>
        <div className={styles.tls}>
          <TLSSettings options={options} onOptionsChange={onOptionsChange} />
        </div>
        <CustomHeaders options={options} onOptionsChange={onOptionsChange} />
      </ConfigSection>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  methods: css({ marginTop: theme.spacing(2.5), padding: theme.spacing(2), border: `1px solid ${theme.colors.border.weak}` }),
  fields: css({ marginTop: theme.spacing(1.5) }),
  tls: css({ marginTop: theme.spacing(3) }),
});
