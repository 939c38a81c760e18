import { ChangeEvent } from 'react';
import { InlineField, InlineSwitch, Input, RadioButtonGroup, TagsInput, Text } from '@grafana/ui';

import { MULTI_VALUE, NUMBER_KEYS, NUMBER_RULES, NumberKey, Problem } from '../../settings';
import { LAYOUT_MULTI, LAYOUT_WIDE } from '../../names';
import { ConfigSection } from './ConfigSection';
import { LABEL_WIDTH, ProblemFor, SectionProps } from './section';

/** How a unit from settings.json shows in a label; labels there stay unit-free, since backend errors quote them. */
const UNIT_IN_LABEL: Record<string, string> = { seconds: 's', MB: 'MB', KB: 'KB' };

export function numberLabel(key: NumberKey): string {
  const { label, unit } = NUMBER_RULES[key];
  return unit === '' ? label : `${label} (${UNIT_IN_LABEL[unit] ?? unit})`;
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

interface Props extends SectionProps {
  problemFor: ProblemFor;
  /** Every problem, shown or not yet: the section opens on one of its own. */
  allProblems: Problem[];
  typing: (field: string) => void;
  blurred: (field: string) => void;
}

/** Limits that protect Grafana and the service, and how answers are shaped. */
export function AdditionalSettings({ options, onOptionsChange, problemFor, allProblems, typing, blurred }: Props) {
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
  );
}
