import { ReactNode } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Checkbox, Icon, InlineField, Input, SecretTextArea, Tooltip, useStyles2 } from '@grafana/ui';

import { resetSecret, Settings } from '../../settings';
import { SecureJsonData } from '../../types';
import { ConfigSection } from './ConfigSection';
import { LABEL_WIDTH, SectionProps } from './section';

type Secret = keyof SecureJsonData & ('tlsCACert' | 'tlsClientCert' | 'tlsClientKey');

/**
 * Grafana's standard TLS settings (jsonData.tlsAuthWithCACert, tlsAuth,
 * serverName, tlsSkipVerify and their secrets), which the backend's HTTP
 * client reads through the plugin SDK.
 */
export function TLSSettings({ options, onOptionsChange }: SectionProps) {
  const { jsonData, readOnly } = options;
  const setJson = (patch: Partial<Settings['jsonData']>, s: Settings = options) => onOptionsChange({ ...s, jsonData: { ...s.jsonData, ...patch } });
  const setSecret = (key: Secret, value: string) => onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, [key]: value } });
  const secret = (key: Secret, label: string, tooltip: string, placeholder: string) => (
    <InlineField label={label} labelWidth={LABEL_WIDTH} tooltip={tooltip} required grow disabled={readOnly} htmlFor={`inhouse-${key}`}>
      <SecretTextArea
        id={`inhouse-${key}`}
        isConfigured={Boolean(options.secureJsonFields?.[key])}
        placeholder={placeholder}
        rows={6}
        cols={36}
        onChange={(e) => setSecret(key, e.currentTarget.value)}
        onReset={() => onOptionsChange(resetSecret(options, key))}
      />
    </InlineField>
  );
  return (
    <ConfigSection sub title="TLS settings" description="How the plugin checks your service's https certificate, and the certificate it shows when the service asks for one">
      <Toggle
        label="Add self-signed certificate"
        tooltip="Trust the service's certificate authority (CA) besides the system's"
        enabled={Boolean(jsonData.tlsAuthWithCACert)}
        disabled={readOnly}
        onToggle={(on) => setJson({ tlsAuthWithCACert: on }, on ? options : resetSecret(options, 'tlsCACert'))}
      >
        {secret('tlsCACert', 'CA certificate', 'The certificate of the authority that signed the service\'s certificate', 'Begins with -----BEGIN CERTIFICATE-----')}
      </Toggle>
      <Toggle
        label="TLS client authentication"
        tooltip="Grafana shows the service a client certificate of its own"
        enabled={Boolean(jsonData.tlsAuth)}
        disabled={readOnly}
        onToggle={(on) =>
          setJson({ tlsAuth: on, ...(on ? {} : { serverName: '' }) }, on ? options : resetSecret(resetSecret(options, 'tlsClientCert'), 'tlsClientKey'))
        }
      >
        <InlineField
          label="Server name"
          labelWidth={LABEL_WIDTH}
          tooltip="The host name the service's certificate must carry"
          required
          grow
          disabled={readOnly}
          htmlFor="inhouse-serverName"
        >
          <Input
            id="inhouse-serverName"
            placeholder="metrics.example.com"
            width={40}
            value={jsonData.serverName ?? ''}
            onChange={(e) => setJson({ serverName: e.currentTarget.value })}
          />
        </InlineField>
        {secret('tlsClientCert', 'Client certificate', 'The certificate Grafana presents to the service', 'Begins with -----BEGIN CERTIFICATE-----')}
        {secret('tlsClientKey', 'Client key', 'The private key of the client certificate', 'Begins with -----BEGIN PRIVATE KEY-----')}
      </Toggle>
      <Toggle
        label="Skip TLS certificate validation"
        tooltip="Accept any certificate from the service: for testing only"
        enabled={Boolean(jsonData.tlsSkipVerify)}
        disabled={readOnly}
        onToggle={(on) => setJson({ tlsSkipVerify: on })}
      />
    </ConfigSection>
  );
}

interface ToggleProps {
  label: string;
  tooltip: string;
  enabled: boolean;
  disabled?: boolean;
  onToggle: (on: boolean) => void;
  children?: ReactNode;
}

/** A checkbox that shows its fields while it is on. */
function Toggle({ label, tooltip, enabled, disabled, onToggle, children }: ToggleProps) {
  const styles = useStyles2(getToggleStyles);
  return (
    <div className={styles.container}>
      <div className={styles.row}>
        <Checkbox value={enabled} label={label} disabled={disabled} onChange={() => onToggle(!enabled)} />
        <Tooltip placement="top" content={tooltip} interactive>
          <Icon name="info-circle" size="sm" className={styles.icon} />
        </Tooltip>
      </div>
      {enabled && children && <div className={styles.content}>{children}</div>}
    </div>
  );
}

const getToggleStyles = (theme: GrafanaTheme2) => ({
  container: css({ marginTop: 3 }),
  row: css({ display: 'flex', alignItems: 'center' }),
  icon: css({ marginTop: -2, marginLeft: 5, color: theme.colors.text.secondary }),
  content: css({ margin: theme.spacing(1, 0, 2, 3) }),
});
