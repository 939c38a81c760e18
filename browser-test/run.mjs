// Browser test: the real plugin bundle (dist/module.js) in headless
// Chromium, inside a host page with real @grafana/ui, talking to the real
// backend binary through Grafana's API routes (cmd/inhouse-metrics ui) and
// a reference server. Fails if the page throws, a control is missing, the
// metric list stays empty or a query fails. Screenshots go to
// test-artifacts/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const ARTIFACTS = 'test-artifacts';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_TIMEOUT = 15000;

// Failures the scenario causes on purpose, and Grafana's own static files
// (fonts, a few icons) that only Grafana's server has. Any other status
// of 400 or more fails the test.
const EXPECTED_FAILURES = [
  [400, /^\/api\/datasources\/uid\/inhouse\/health$/], // Save & test without the key
  [401, /^\/api\/datasources\/uid\/inhouse\/resources\/metrics$/], // metric list without the key
  [400, /^\/api\/datasources\/uid\/inhouse\/resources\/metrics$/], // metric list before a URL is set
  [404, /^\/public\/(fonts|build\/img\/icons)\//],
];

function fail(message) {
  throw new Error(message);
}

function build() {
  const vite = spawnSync('npx', ['vite', 'build', '--config', 'browser-test/vite.config.ts', '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
  if (vite.status !== 0) {
    fail('building the host page failed');
  }
  const bin = join(mkdtempSync(join(tmpdir(), 'inhouse-ui-')), 'inhouse-metrics');
  const go = spawnSync('go', ['build', '-o', bin, './cmd/inhouse-metrics'], { stdio: 'inherit' });
  if (go.status !== 0) {
    fail('building cmd/inhouse-metrics failed');
  }
  return bin;
}

/** Starts the ui command and reads the addresses it prints. */
function startHost(bin) {
  const child = spawn(bin, ['ui', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the ui command printed no addresses in 30 s: ${out}`)), 30000);
    child.on('exit', (code) => reject(new Error(`the ui command exited with ${code}: ${out}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const page = out.match(/host page: (\S+)/);
      const service = out.match(/reference server: (\S+)/);
      const key = out.match(/API key: (\S+)/);
      if (page && service && key) {
        clearTimeout(timer);
        resolve({ child, page: page[1], service: service[1], apiKey: key[1] });
      }
    });
  });
}

async function pickOption(page, inputSelector, text) {
  await page.click(inputSelector);
  const option = page.getByRole('option', { name: text, exact: false }).first();
  await option.waitFor({ timeout: STEP_TIMEOUT }).catch(() => fail(`no option "${text}" appeared for ${inputSelector}`));
  await option.click();
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const bin = build();
  const host = await startHost(bin);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // Network failures are checked one by one below, not through the
    // console line Chromium prints for each.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        problems.push(`console error: ${m.text()}`);
      }
    });
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      const expected = EXPECTED_FAILURES.some(([status, pattern]) => r.status() === status && pattern.test(path));
      if (r.status() >= 400 && !expected) {
        problems.push(`unexpected HTTP ${r.status()} for ${r.request().method()} ${path}`);
      }
    });
    page.setDefaultTimeout(STEP_TIMEOUT);

    await page.goto(host.page);
    const config = page.getByTestId('config-page');
    await config.waitFor().catch(async () => fail(`the configuration page did not render: ${await page.content()}`));

    // Every control a user needs is there.
    for (const [what, locator] of [
      ['URL field', page.locator('#inhouse-url')],
      ['authentication method picker', page.locator('#auth-method-select')],
      ['TLS settings', page.getByText('TLS settings')],
      ['custom headers', page.getByText('HTTP headers')],
      ['additional settings', page.getByRole('button', { name: 'Expand section Additional settings' })],
      ['Save & test button', page.getByRole('button', { name: 'Save & test' })],
    ]) {
      if ((await locator.count()) === 0) {
        fail(`the configuration page has no ${what}`);
      }
    }
    // A new data source is incomplete, and the page says why; so does the
    // query editor, with the backend's reason.
    await page.getByTestId('config-problems').getByText('Enter the URL').waitFor();
    await page.getByTestId('metrics-error').getByText(/URL is not set/).waitFor()
      .catch(() => fail('before a URL is set, the query editor should say why the metric list is empty'));

    // Without the key the service refuses; Save & test says so.
    await page.fill('#inhouse-url', host.service);
    await page.getByRole('button', { name: 'Save & test' }).click();
    const health = page.getByTestId('health-result');
    await health.getByText('Save & test failed').waitFor();
    const refusal = await health.innerText();
    if (!/401|API key|unauthori[sz]ed/i.test(refusal)) {
      fail(`Save & test without a key should name the 401, got: ${refusal}`);
    }

    await pickOption(page, '#auth-method-select', 'API key');
    await page.fill('#inhouse-api-key', host.apiKey);
    await page.getByRole('button', { name: 'Expand section Additional settings' }).click();
    await page.fill('#inhouse-timeout', '20');
    await page.getByRole('button', { name: 'Save & test' }).click();
    await health.getByText('Save & test passed').waitFor();
    const working = await health.innerText();
    if (!working.includes('Data source is working')) {
      fail(`Save & test with the key should report a working data source, got: ${working}`);
    }

    // Saved secrets come back only as "configured", never as values.
    const saved = await page.evaluate(async () => (await fetch('/api/datasources/uid/inhouse')).text());
    if (saved.includes(host.apiKey)) {
      fail('the saved settings sent the API key back to the browser');
    }
    if ((await page.inputValue('#inhouse-api-key')) !== 'configured' || !(await page.isDisabled('#inhouse-api-key'))) {
      fail('after saving, the API key field should show "configured" and be locked until reset');
    }
    await config.screenshot({ path: join(ARTIFACTS, 'config-editor.png') });

    // The query editor lists the service's metrics through the backend's resource route.
    const editor = page.getByTestId('query-page');
    await editor.scrollIntoViewIfNeeded();
    await page.click('#metric-A');
    const options = page.getByRole('option');
    await options.first().waitFor().catch(() => fail('the metric list stayed empty'));
    const names = await options.allInnerTexts();
    if (!names.some((n) => n.includes('Request rate'))) {
      fail(`the metric list lacks the reference server's metrics: ${names.join(' | ')}`);
    }
    await page.getByRole('option', { name: /Request rate/ }).click();
    await page.getByTestId('query-result').getByText(/frame\(s\)/).waitFor();

    // Payload fields come from the metric's definitions; choosing one re-runs the query.
    await page.locator('#payload-region').waitFor();
    await page.locator('#payload-service').waitFor();
    await pickOption(page, '#payload-region', 'eu-west');
    await pickOption(page, '#payload-service', 'checkout');
    await page.getByTestId('query-result').getByText(/frame\(s\).*checkout/).waitFor();
    const result = await page.getByTestId('query-result').innerText();
    if (/error/i.test(result) || !/^[1-9]\d* frame\(s\)/.test(result)) {
      fail(`the query through the backend did not return frames: ${result}`);
    }
    await page.fill('#legend-A', '{{service}} in {{region}}');
    await page.press('#legend-A', 'Enter');
    await page.getByTestId('query-result').getByText('checkout in eu-west').waitFor();
    await editor.screenshot({ path: join(ARTIFACTS, 'query-editor.png') });

    if (problems.length > 0) {
      fail(`the page reported errors:\n${problems.join('\n')}`);
    }
    process.stdout.write(`browser test passed: ${result}\n`);
  } catch (e) {
    await page.screenshot({ path: join(ARTIFACTS, 'failure.png'), fullPage: true }).catch(() => {});
    throw new Error(`${e.message}${problems.length ? `\npage errors:\n${problems.join('\n')}` : ''}\n(see ${ARTIFACTS}/failure.png)`);
  } finally {
    await browser.close();
    host.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  process.stderr.write(`browser test FAILED: ${e.message}\n`);
  process.exit(1);
});
