import { useState } from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { config } from '@grafana/runtime';

import manifest from '../plugin.json';
import { NUMBER_KEYS, NUMBER_RULES, Settings } from '../settings';
import { settings } from '../test/settings';
import { AUTH_SECTION_WIDTH, ConfigEditor, NUMBER_HELP } from './ConfigEditor';
import identityRules from '../../pkg/models/identity.json';
import names from '../../pkg/models/names.json';

/** Renders the page the way Grafana does: it keeps the settings and re-renders on every change. */
function renderPage(initial: Settings) {
  const changes: Settings[] = [];
  function Host() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(o) => {
          changes.push(o);
          setOptions(o);
        }}
      />
    );
  }
  render(<Host />);
  return { changes, last: () => changes[changes.length - 1] };
}

async function chooseAuth(label: RegExp) {
  await userEvent.click(screen.getByLabelText('Authentication method'));
  const options = await screen.findAllByRole('option');
  const option = options.find((o) => label.test(o.textContent ?? '') || Array.from(o.querySelectorAll('*')).some((c) => label.test(c.textContent ?? '')));
  if (!option) {
    throw new Error(`no option ${label} among ${options.map((o) => o.textContent).join(' | ')}`);
  }
  await userEvent.click(option);
}

describe('ConfigEditor', () => {
  it('says nothing before the user has typed, and validates the URL when it loses focus', async () => {
    const page = renderPage(settings({ version: 1 }));
    expect(screen.queryByTestId('config-problems')).not.toBeInTheDocument();
    expect(screen.queryByText(/Enter the URL of your metrics service/)).not.toBeInTheDocument();

    await userEvent.type(screen.getByLabelText(/^URL/), 'ftp://metrics');
    expect(screen.queryByText(/must start with http:\/\/ or https:\/\//)).not.toBeInTheDocument();
    await userEvent.tab();
    expect(screen.getAllByText(/must start with http:\/\/ or https:\/\//).length).toBe(2);
    expect(screen.getByTestId('config-problems')).toBeInTheDocument();

    await userEvent.clear(screen.getByLabelText(/^URL/));
    await userEvent.type(screen.getByLabelText(/^URL/), 'https://metrics.internal:8080');
    await userEvent.tab();
    expect(page.last().url).toBe('https://metrics.internal:8080');
    expect(screen.queryByTestId('config-problems')).not.toBeInTheDocument();
  });

  it('tells what is missing at once on a data source saved before, and once saved', () => {
    const { rerender } = render(<ConfigEditor options={settings({ version: 1 })} onOptionsChange={() => {}} />);
    expect(screen.queryByTestId('config-problems')).not.toBeInTheDocument();
    rerender(<ConfigEditor options={settings({ version: 2 })} onOptionsChange={() => {}} />);
    expect(screen.getByTestId('config-problems')).toHaveTextContent('Enter the URL of your metrics service');
  });

  it('shows a limit provisioned as text that is no number in its own field, with its error', () => {
    renderPage(settings({ url: 'https://m', readOnly: true, jsonData: { timeout: '30s' as unknown as number } }));
    const timeout = screen.getByLabelText(/^Timeout/);
    expect(timeout).toHaveValue('30s');
    const errors = screen.getAllByText(/"30s", which is not a number/);
    const inField = errors.filter((e) => !screen.getByTestId('config-problems').contains(e));
    expect(inField).toHaveLength(1);
  });

  it('keeps a typed API key in secureJsonData only', async () => {
    const page = renderPage(settings({ url: 'https://m' }));
    await chooseAuth(/^API key$/);
    expect(page.last().jsonData.authMethod).toBe('apiKey');
    expect(screen.getByTestId('config-problems')).toHaveTextContent('Enter the API key');

    await userEvent.type(screen.getByLabelText(/^API key/), 's3cret');
    expect(page.last().secureJsonData?.apiKey).toBe('s3cret');
    expect(JSON.stringify(page.last().jsonData)).not.toContain('s3cret');
    expect(screen.queryByTestId('config-problems')).not.toBeInTheDocument();
  });

  it('shows a saved API key as configured, never its value, and resets it', async () => {
    const page = renderPage(
      settings({ url: 'https://m', jsonData: { authMethod: 'apiKey' }, secureJsonFields: { apiKey: true } })
    );
    const input = screen.getByLabelText(/^API key/) as HTMLInputElement;
    expect(input).toBeDisabled();
    expect(input.value).toBe('configured');

    await userEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(page.last().secureJsonFields.apiKey).toBe(false);
    expect(page.last().secureJsonData?.apiKey).toBe('');
    expect(screen.getByLabelText(/^API key/)).toBeEnabled();
  });

  it('forgets the API key when another method is chosen', async () => {
    const page = renderPage(
      settings({ url: 'https://m', jsonData: { authMethod: 'apiKey' }, secureJsonFields: { apiKey: true } })
    );
    await chooseAuth(/^No Authentication$/);
    expect(page.last().jsonData.authMethod).toBe('none');
    expect(page.last().secureJsonFields.apiKey).toBe(false);
    expect(page.last().secureJsonData?.apiKey).toBe('');
  });

  it('asks for the basic auth user and password', async () => {
    const page = renderPage(settings({ url: 'https://m' }));
    await chooseAuth(/^Basic authentication$/);
    expect(page.last().basicAuth).toBe(true);
    const problems = screen.getByTestId('config-problems');
    expect(within(problems).getByText('Basic authentication needs a user')).toBeInTheDocument();
    expect(within(problems).getByText('Basic authentication needs a password')).toBeInTheDocument();
  });

  it('warns when TLS verification is skipped and when credentials go over http', () => {
    renderPage(settings({ url: 'http://m', jsonData: { tlsSkipVerify: true, authMethod: 'apiKey' }, secureJsonFields: { apiKey: true } }));
    expect(screen.getByTestId('skip-verify-warning')).toHaveTextContent('TLS certificate verification is off');
    expect(screen.getByTestId('cleartext-warning')).toHaveTextContent('sent in clear text');
  });

  it('stores limits as numbers and an emptied field as the default', async () => {
    const page = renderPage(settings({ url: 'https://m', jsonData: { concurrency: 4 } }));
    await userEvent.click(screen.getByRole('button', { name: 'Expand section Additional settings' }));
    const concurrency = screen.getByLabelText(/^Concurrency/);
    await userEvent.clear(concurrency);
    expect('concurrency' in page.last().jsonData).toBe(false);
    await userEvent.type(concurrency, '12');
    expect(page.last().jsonData.concurrency).toBe(12);
    expect(screen.queryByTestId('config-problems')).not.toBeInTheDocument();
    await userEvent.tab();
    expect(screen.getByTestId('config-problems')).toHaveTextContent('whole number from 1 to 10');
  });

  it('shows every number setting of settings.json under its label, with its default as placeholder', async () => {
    renderPage(settings({ url: 'https://m' }));
    await userEvent.click(screen.getByRole('button', { name: 'Expand section Additional settings' }));
    expect(Object.keys(NUMBER_HELP).sort()).toEqual([...NUMBER_KEYS].sort());
    for (const key of NUMBER_KEYS) {
      const input = screen.getByLabelText(new RegExp(`^${NUMBER_RULES[key].label}`));
      expect(input).toHaveAttribute('id', `inhouse-${key}`);
      expect(input).toHaveAttribute('placeholder', String(NUMBER_RULES[key].default));
    }
  });

  it.each([
    ['timeout', 'Timeout (s)'],
    ['maxResponseMB', 'Maximum response size (MB)'],
    ['concurrency', 'Concurrency'],
    ['cacheTTLSeconds', 'Cache TTL (s)'],
    ['cacheMaxMB', 'Cache size (MB)'],
    ['maxSeries', 'Maximum series'],
    ['maxItemKB', 'Maximum item size (KB)'],
    ['maxEventTags', 'Maximum tags per event'],
  ])('labels %s with its unit: %s', async (key, label) => {
    renderPage(settings({ url: 'https://m' }));
    await userEvent.click(screen.getByRole('button', { name: 'Expand section Additional settings' }));
    expect(screen.getByRole('spinbutton', { name: label })).toHaveAttribute('id', `inhouse-${key}`);
  });

  it.each([
    ['', '/plugins/inhouse-metrics-datasource'],
    ['/grafana', '/grafana/plugins/inhouse-metrics-datasource'],
  ])('links to the plugin page inside Grafana (sub-path "%s"), which shows this README', (subUrl, href) => {
    const saved = config.appSubUrl;
    config.appSubUrl = subUrl;
    try {
      renderPage(settings({ url: 'https://m' }));
      expect(screen.getByRole('link', { name: "the plugin's documentation" })).toHaveAttribute('href', href);
      expect(manifest.id).toBe('inhouse-metrics-datasource');
    } finally {
      config.appSubUrl = saved;
    }
  });

  it('keeps the URL field as wide as the authentication section below it', () => {
    renderPage(settings({ url: 'https://m' }));
    expect(screen.getByTestId('url-field')).toHaveStyle({ maxWidth: `${AUTH_SECTION_WIDTH}px` });
    expect(screen.getByTestId('url-field')).toContainElement(screen.getByRole('textbox', { name: /^URL/ }));
  });

  it.each([
    { enabled: false, shown: false },
    { enabled: true, shown: true },
  ])('offers the secure SOCKS proxy toggle only when Grafana has it on ($enabled)', async ({ enabled, shown }) => {
    const saved = config.secureSocksDSProxyEnabled;
    config.secureSocksDSProxyEnabled = enabled;
    try {
      const page = renderPage(settings({ url: 'https://m' }));
      const section = screen.queryByRole('heading', { name: 'Secure Socks Proxy' })?.parentElement;
      expect(Boolean(section)).toBe(shown);
      const toggle = section && within(section).getByRole('switch', { name: 'Enabled' });
      if (toggle) {
        await userEvent.click(toggle);
        expect(page.last().jsonData.enableSecureSocksProxy).toBe(true);
      }
    } finally {
      config.secureSocksDSProxyEnabled = saved;
    }
  });

  it('turns Downsample on in jsonData.downsample, off by default', async () => {
    const { last } = renderPage(settings({ url: 'https://m' }));
    await userEvent.click(screen.getByRole('button', { name: 'Expand section Additional settings' }));
    const toggle = screen.getByLabelText('Downsample');
    expect(toggle).not.toBeChecked();
    await userEvent.click(toggle);
    expect(last().jsonData).toMatchObject({ downsample: true });
  });

  it('chooses the layout in jsonData.layout, one frame per series by default, with when to use Wide', async () => {
    const { last } = renderPage(settings({ url: 'https://m' }));
    await userEvent.click(screen.getByRole('button', { name: 'Expand section Additional settings' }));
    expect(screen.getByRole('radio', { name: 'One frame per series' })).toBeChecked();
    expect(screen.getByTestId('layout-hint')).toHaveTextContent(/fixed interval/);
    await userEvent.click(screen.getByRole('radio', { name: 'Wide' }));
    expect(last().jsonData).toMatchObject({ layout: names.layouts.wide });
    expect(screen.getByRole('radio', { name: 'Wide' })).toBeChecked();
    await userEvent.click(screen.getByRole('radio', { name: 'One frame per series' }));
    expect(last().jsonData).toMatchObject({ layout: names.layouts.multi });
  });

  it('opens Additional settings on a layout the backend would refuse, and says what to choose', () => {
    renderPage(settings({ url: 'https://m', jsonData: { layout: 'columns' } }));
    expect(screen.getByTestId('config-problems')).toHaveTextContent('Layout is "columns", which the plugin does not know: choose "multi" or "wide"');
    expect(screen.getByRole('radio', { name: 'Wide' })).toBeInTheDocument();
  });

  it('chooses what multi-value variables become in jsonData.multiValue, one query with a regex by default', async () => {
    const { last } = renderPage(settings({ url: 'https://m' }));
    await userEvent.click(screen.getByRole('button', { name: 'Expand section Additional settings' }));
    expect(screen.getByRole('radio', { name: 'One query with a regex (as the JSON datasource)' })).toBeChecked();
    await userEvent.click(screen.getByRole('radio', { name: 'One query per value' }));
    expect(last().jsonData).toMatchObject({ multiValue: 'split' });
  });

  describe('per-user identity', () => {
    it.each([
      ['Forward OAuth identity', 'oauthPassThru'],
      ['Send the user\'s login', 'sendUserHeader'],
    ])('turns %s on in jsonData.%s', async (label, key) => {
      const { last } = renderPage(settings({ url: 'https://m' }));
      await userEvent.click(screen.getByRole('button', { name: 'Expand section Per-user identity' }));
      await userEvent.click(screen.getByLabelText(label));
      expect(last().jsonData).toMatchObject({ [key]: true });
    });

    it('keeps the named cookies as a list', async () => {
      const { last } = renderPage(settings({ url: 'https://m' }));
      await userEvent.click(screen.getByRole('button', { name: 'Expand section Per-user identity' }));
      await userEvent.type(screen.getByLabelText('Keep cookies'), 'session_id{enter}');
      expect(last().jsonData).toMatchObject({ keepCookies: ['session_id'] });
    });

    it.each([
      ['an API key', { secureJsonFields: { apiKey: true } }, true],
      ['basic auth', { basicAuth: true }, true],
      ['no credentials of its own', {}, false],
    ])('says which credentials win with %s', (_name, over, shown) => {
      renderPage(settings({ url: 'https://m', jsonData: { oauthPassThru: true } as never, ...over }));
      const note = screen.queryByTestId('identity-winner');
      expect(Boolean(note)).toBe(shown);
      if (note) {
        expect(note.textContent).toContain(identityRules.winner);
      }
    });

    it('explains each setting in the words the backend embeds', () => {
      expect(identityRules.settings.map((s) => s.key)).toEqual(['oauthPassThru', 'sendUserHeader', 'keepCookies']);
      for (const s of identityRules.settings) {
        expect(s.description.length).toBeGreaterThan(40);
      }
    });
  });
});
