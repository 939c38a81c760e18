import { InlineField, Input } from '@grafana/ui';

import { ConfigSection } from './ConfigSection';
import { AUTH_SECTION_WIDTH, LABEL_WIDTH, ProblemFor, SectionProps } from './section';

interface Props extends SectionProps {
  problemFor: ProblemFor;
  /** The URL is being typed into: its problems wait. */
  typing: () => void;
  /** The URL field lost focus: its problems show. */
  blurred: () => void;
}

export function ConnectionSection({ options, onOptionsChange, problemFor, typing, blurred }: Props) {
  return (
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
              typing();
              onOptionsChange({ ...options, url: e.currentTarget.value });
            }}
            onBlur={blurred}
          />
        </InlineField>
      </div>
    </ConfigSection>
  );
}
