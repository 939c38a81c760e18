import { Alert, InlineField, InlineSwitch, TagsInput } from '@grafana/ui';

import { IDENTITY_TEXT, identityOf, winnerNote, withIdentity } from '../../identity';
import { ConfigSection } from './ConfigSection';
import { LABEL_WIDTH, SectionProps } from './section';

/** What of the signed-in user reaches the service: separate from the authentication method, which alert rules (no user) still use. */
export function IdentitySection({ options, onOptionsChange }: SectionProps) {
  const identity = identityOf(options);
  const winner = winnerNote(options);
  return (
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
  );
}
