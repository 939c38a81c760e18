// Browser test: the real plugin bundle (dist/module.js) in headless
// Chromium, inside a host page with real @grafana/ui, talking to the real
// backend binary through Grafana's API routes (cmd/inhouse-metrics ui) and
// a reference server. module.js is loaded as Grafana's loader loads it: an
// AMD module found by its quoted define() list, given only the modules
// Grafana shares. Two query editors are open at once, as two queries of a
// panel. Fails if the page throws, a control is missing, the metric list
// stays empty, a query fails, the two editors share an id, or options that
// depend on another field are not fetched again, or a payload typed into
// Grafana's code editor (Monaco, in JSON mode with its worker, as Grafana
// bundles it) for a metric without declared fields is not checked when the
// editor loses focus nor sent to the service. Then a dashboard opens:
// two chained template variables made in the plugin's variable editor, a
// panel saved by the JSON datasource whose $host = All over 150 hosts must
// reach the service as one request carrying Grafana's regex format, an
// ad hoc filter whose keys and values come from the plugin, a panel whose
// frames the filters (one with a variable in its value) must narrow, a
// service without tag keys (told to the user once), and an annotation run
// both ways (SimpleJSON's query text, then a metric), and a panel whose
// query has the Live switch on, streamed through Grafana Live (the host's
// Server-Sent Events endpoint): new rows must arrive. Then the same
// module.js runs in host pages built with the @grafana/* packages and
// React of pinned Grafana versions (browser-test/pinned.json): the oldest
// in plugin.json's grafanaDependency (browser-test/oldest) and the last
// minor of 12 (browser-test/grafana-12): configuration page, Save & test,
// query editor and a query. Screenshots go to test-artifacts/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/* global document, getComputedStyle, window -- page.evaluate bodies run in the page */

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

// Host pages built with pinned Grafana packages instead of the root's (the
// newest): the oldest Grafana in plugin.json's grafanaDependency, and the
// last minor of Grafana 12. Each name's folder under browser-test/ holds a
// package.json and lock of its own; vite.config.ts reads the same list.
const PINNED = JSON.parse(readFileSync('browser-test/pinned.json', 'utf8'));

/** The @grafana/ui version a pinned host's package.json asks for, and the one installed. */
function pinnedVersions(name) {
  const dir = `browser-test/${PINNED[name]}`;
  const wanted = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')).dependencies['@grafana/ui'];
  let installed;
  try {
    installed = JSON.parse(readFileSync(`${dir}/node_modules/@grafana/ui/package.json`, 'utf8')).version;
  } catch {
    installed = undefined;
  }
  return { dir, wanted, installed };
}

/** Installs a pinned host's packages unless they are there already. */
function installPinned(name) {
  const { dir, wanted, installed } = pinnedVersions(name);
  if (installed === wanted) {
    return;
  }
  process.stdout.write(`installing @grafana/* ${wanted} and React 18 into ${dir}/node_modules (npm ci)\n`);
  // --ignore-scripts: the host page only bundles these packages' JavaScript.
  // The one install script among them, protobufjs's postinstall, only warns
  // about a parent package's version scheme; npm 11 already skips it for
  // want of approval, and says so in four warning lines.
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', dir], {
    stdio: 'inherit',
  });
  if (npm.status !== 0) {
    fail(`npm ci in ${dir} failed`);
  }
}

// HOST_GRAFANA=newest, or a pinned host's name, runs that host page alone.
const HOSTS = process.env.HOST_GRAFANA ? [process.env.HOST_GRAFANA] : ['newest', ...Object.keys(PINNED)];

function build() {
  for (const grafana of HOSTS) {
    if (grafana !== 'newest') {
      if (!PINNED[grafana]) {
        fail(`HOST_GRAFANA=${grafana}: give newest or one of ${Object.keys(PINNED).join(', ')}`);
      }
      installPinned(grafana);
    }
    const vite = spawnSync('npx', ['vite', 'build', '--config', 'browser-test/vite.config.ts', '--logLevel', 'warn'], {
      stdio: 'inherit',
      env: { ...process.env, HOST_GRAFANA: grafana },
    });
    if (vite.status !== 0) {
      fail(`building the host page (${grafana} Grafana) failed`);
    }
  }
  const bin = join(mkdtempSync(join(tmpdir(), 'inhouse-ui-')), 'inhouse-metrics');
  const go = spawnSync('go', ['build', '-o', bin, './cmd/inhouse-metrics'], { stdio: 'inherit' });
  if (go.status !== 0) {
    fail('building cmd/inhouse-metrics failed');
  }
  return bin;
}

/** Starts the ui command, serving the host page in pageDir, and reads the addresses it prints. */
function startHost(bin, pageDir) {
  const child = spawn(bin, ['ui', '--listen', '127.0.0.1:0', '--page', pageDir], { stdio: ['ignore', 'pipe', 'inherit'] });
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

/** Waits until the element's text matches, and returns it. */
async function textOf(page, testId, pattern, what) {
  const el = page.getByTestId(testId);
  try {
    await el.getByText(pattern).waitFor();
  } catch {
    fail(`${what}: expected ${pattern}, got: ${await el.innerText().catch(() => '(missing)')}`);
  }
  return el.innerText();
}

/** Every frame of a panel answer as the labels its field carries: "region=eu-west, service=checkout". */
const seriesOf = (text) => [...text.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);

/** No tooltip or focus ring left over from the steps before, for a screenshot. */
async function settle(page) {
  await page.mouse.move(0, 0);
  await page.evaluate(() => document.activeElement?.blur());
  await page.getByRole('tooltip').waitFor({ state: 'detached', timeout: 3000 }).catch(() => {});
}

async function fillAndLeave(page, selector, text) {
  await page.fill(selector, text);
  await page.press(selector, 'Tab');
}

/**
 * A dashboard of this data source: two chained template variables made in
 * the plugin's variable editor, an ad hoc filter whose keys and values come
 * from the plugin, a panel they narrow, and an annotation both ways.
 */
async function dashboard(page) {
  await page.getByRole('button', { name: 'Open dashboard' }).click();

  // $service: a new variable's query typed into the plugin's editor.
  await fillAndLeave(page, '#variable-query-variable', 'services');
  await textOf(page, 'variable-service-options', /^3 option\(s\): checkout, search, payments$/, 'the service variable');

  // $version depends on $service: Raw JSON on, then the chained query.
  // Grafana's Switch draws its own label over the checkbox, which takes the click.
  await page.locator('label[for="variable-json-version"]:not(:has-text("Raw JSON"))').click();
  if (!(await page.isChecked('#variable-json-version'))) {
    fail('the Raw JSON switch did not turn on');
  }
  if ((await page.inputValue('#variable-query-version')) !== '{"target":""}') {
    fail(`turning Raw JSON on should keep what is sent, as JSON: ${await page.inputValue('#variable-query-version')}`);
  }
  await fillAndLeave(page, '#variable-query-version', '{"target": "versions", "service": "$service"}');
  const checkout = await textOf(page, 'variable-version-options', /^[1-9]\d* option\(s\): v1\./, 'the version variable for checkout');
  await page.selectOption('#service-value', 'search');
  await page.getByTestId('variable-version-options').getByText(checkout).waitFor({ state: 'detached' })
    .catch(() => fail(`the version variable did not follow $service = search: still ${checkout}`));
  const search = await textOf(page, 'variable-version-options', /^[1-9]\d* option\(s\): v1\./, 'the version variable for search');
  await settle(page);
  await page.getByTestId('variable-version').screenshot({ path: join(ARTIFACTS, 'variable-editor.png') });

  // A panel saved by the JSON datasource, $host = All over 150 hosts in its
  // target and JSON payload: one request to the service, carrying Grafana's
  // regex format, as the JSON datasource sent it (one query per value would
  // be 150 requests, refused past 100).
  await textOf(page, 'switched-result', /^1 frame\(s\)/, 'the panel saved by the JSON datasource');
  const switchedSent = JSON.parse(await page.getByTestId('switched-sent').innerText());
  const alternation = `(${Array.from({ length: 150 }, (_, i) => `web-${i + 1}\\.dc`).join('|')})`;
  const requests = switchedSent.filter((q) => /^POST \S*\/query\n/.test(q));
  if (requests.length !== 1) {
    fail(`the switched panel should make one request to /query, made ${requests.length}: ${switchedSent.join('\n---\n').slice(0, 500)}`);
  }
  const body = JSON.parse(requests[0].slice(requests[0].indexOf('\n') + 1));
  const targets = body.targets ?? [];
  if (targets.length !== 1 || targets[0].target !== alternation || JSON.stringify(targets[0].payload) !== JSON.stringify({ hosts: alternation })) {
    fail(`the switched panel should send one target and payload carrying ${alternation.slice(0, 40)}…, sent: ${requests[0].slice(0, 600)}`);
  }
  process.stdout.write(`switched panel: one /query request, $host = All (150) sent as a ${alternation.length}-character regex\n`);

  // The panel shows every series; an ad hoc filter from the plugin's keys
  // and values narrows it, and a variable inside a filter value too.
  const all = seriesOf(await textOf(page, 'panel-result', /^6 frame\(s\)/, 'the panel without filters'));
  await page.locator('#adhoc-key option[value="region"]').waitFor({ state: 'attached' })
    .catch(() => fail('the ad hoc filter offers no "region" key from the tag-keys route'));
  await page.selectOption('#adhoc-key', 'region');
  await page.locator('#adhoc-values option[value="eu-west"]').waitFor({ state: 'attached' })
    .catch(() => fail('the ad hoc filter offers no "eu-west" value from the tag-values route'));
  await page.fill('#adhoc-value', 'eu-west');
  await page.getByRole('button', { name: 'Add filter' }).click();
  const inEu = seriesOf(await textOf(page, 'panel-result', /^3 frame\(s\)/, 'the panel filtered by region = eu-west'));
  if (inEu.length !== 3 || !inEu.every((l) => l.includes('region=eu-west')) || all.length !== 6) {
    fail(`region = eu-west should leave the 3 eu-west series of 6: ${JSON.stringify({ all, inEu })}`);
  }
  const sent = await page.getByTestId('panel-sent').innerText();
  for (const want of [/"adhocFilters": \[\s*\{\s*"key": "region",\s*"operator": "=",\s*"value": "eu-west"/, /"rangeRaw": \{\s*"from": "now-6h",\s*"to": "now"/]) {
    if (!want.test(sent)) {
      fail(`the service should have received ${want}, got:\n${sent}`);
    }
  }
  await page.selectOption('#adhoc-key', 'service');
  await page.selectOption('#adhoc-operator', '=~');
  await page.fill('#adhoc-value', '$service');
  await page.getByRole('button', { name: 'Add filter' }).click();
  const one = seriesOf(await textOf(page, 'panel-result', /^1 frame\(s\)/, 'the panel filtered by service =~ $service'));
  if (one.length !== 1 || !one[0].includes('service=search') || !one[0].includes('region=eu-west')) {
    fail(`service =~ $service (search) and region = eu-west should leave one series: ${JSON.stringify(one)}`);
  }

  // A service without tag keys: the user is told once, however often the keys load.
  await page.route('**/api/datasources/uid/inhouse/resources/tag-keys', (route) => route.fulfill({ json: [] }));
  await page.getByRole('button', { name: 'Reload keys' }).click();
  await page.getByTestId('app-notifications').getByText(/no ad hoc filter keys/).waitFor()
    .catch(() => fail('an empty tag-keys answer was not told to the user'));
  await page.getByRole('button', { name: 'Reload keys' }).click();
  await page.waitForTimeout(500);
  const told = await page.getByTestId('app-notifications').getByText(/no ad hoc filter keys/).count();
  if (told !== 1) {
    fail(`the missing tag keys should be told once, not ${told} times`);
  }
  await page.unroute('**/api/datasources/uid/inhouse/resources/tag-keys');

  // An annotation saved by SimpleJSON, {query, ...}: query text through /annotations.
  const editor = page.getByTestId('annotation-editor');
  if ((await page.inputValue('#annotation-query-Anno')) !== 'checkout') {
    fail("the SimpleJSON annotation's query text is not in the editor");
  }
  await textOf(page, 'annotation-result', /^[1-9]\d* event\(s\) \[time, timeEnd, title, text, tags\]: Deployed checkout/, 'the SimpleJSON annotation');
  if (!/^POST \S*\/annotations\n/.test(await page.getByTestId('annotation-sent').innerText())) {
    fail(`the SimpleJSON annotation should go to /annotations: ${await page.getByTestId('annotation-sent').innerText()}`);
  }
  // Switched to a metric, the JSON datasource's way: through /query, narrowed by the filters.
  await editor.getByRole('radio', { name: 'Metric' }).click();
  await textOf(page, 'annotation-result', /^skipped/, 'an annotation without a metric');
  await page.click('#annotation-metric-Anno');
  await page.keyboard.type('deploy_events');
  await page.getByRole('option', { name: 'deploy_events' }).first().click();
  await page.keyboard.press('Escape');
  // The editor's steps (metric typed, option picked) each run the
  // annotation, as a dashboard would; wait for the answer to the last one,
  // which carries the filters, rather than the first that has events.
  const events = await textOf(page, 'annotation-result', /^[1-9]\d* event\(s\) \[time, timeEnd, title, text, tags\]: (?![\s\S]*checkout)[\s\S]*search/, 'the metric annotation narrowed by the ad hoc filters');
  if (!events.includes('(region;') || events.includes('checkout') || !events.includes('search')) {
    fail(`the metric annotation should give regions for search in eu-west only (the ad hoc filters): ${events}`);
  }
  const annotationSent = await page.getByTestId('annotation-sent').innerText();
  if (!/^POST \S*\/query\n/.test(annotationSent) || !annotationSent.includes('"target": "deploy_events"')) {
    fail(`the metric annotation should go to /query: ${annotationSent}`);
  }
  for (const absent of ['Format', 'Legend', 'Table']) {
    if ((await editor.getByText(absent, { exact: true }).count()) > 0) {
      fail(`the annotation editor should offer no ${absent}`);
    }
  }
  await settle(page);
  await editor.screenshot({ path: join(ARTIFACTS, 'annotation-editor.png') });

  // Every id on the page, across all editors, is unique.
  const duplicates = await page.evaluate(() => {
    const ids = [...document.querySelectorAll('[id]')].filter((e) => !e.closest('svg')).map((e) => e.id);
    return ids.filter((id, i) => ids.indexOf(id) !== i);
  });
  if (duplicates.length > 0) {
    fail(`ids used twice on the page: ${duplicates.join(', ')}`);
  }
  process.stdout.write(`dashboard: versions ${checkout.split(': ')[1]} (checkout), ${search.split(': ')[1]} (search); ${events.split(':')[0]}\n`);
}

/** The live panel's line, as livePanel.tsx's describeLive writes it. */
function parseLive(text) {
  const m = text.match(/^state=(\S+) responses=(\d+) rows=(\d+) last=(\S+) duplicates=(\d+) ascending=(\w+) steps=(\S*)/);
  if (!m) {
    fail(`the live panel says: ${text}`);
  }
  return { state: m[1], responses: Number(m[2]), rows: Number(m[3]), last: Date.parse(m[4]), duplicates: Number(m[5]), ascending: m[6] === 'true', steps: m[7], text };
}

/**
 * A panel whose query has the Live switch on: after the first answer, new
 * rows arrive through Grafana Live (the host's SSE endpoint, the plugin's
 * RunStream) at the query's 1 s interval; the newest time grows across
 * several intervals, with every time once, ascending, one step apart.
 */
async function livePanel(page) {
  const panel = page.getByTestId('live-panel');
  await panel.scrollIntoViewIfNeeded();
  const before = parseLive(await textOf(page, 'live-result', /^state=Done .* rows=[1-9]/, 'the panel before Live is on'));
  // Grafana's Switch draws its own label over the checkbox, which takes the click.
  await panel.locator('label[for="live-L"]:not(:has-text("Live"))').click();
  if (!(await page.isChecked('#live-L'))) {
    fail('the Live switch did not turn on');
  }
  const first = parseLive(await textOf(page, 'live-result', /^state=Streaming /, 'the panel once Live is on'));
  const INTERVAL = 1000;
  let now = first;
  const deadline = Date.now() + STEP_TIMEOUT;
  while (now.last < first.last + 3 * INTERVAL || now.responses < first.responses + 2) {
    if (Date.now() > deadline) {
      fail(`no new rows over ${STEP_TIMEOUT / 1000} s of a live panel: from ${first.text} to ${now.text}`);
    }
    await page.waitForTimeout(250);
    now = parseLive(await page.getByTestId('live-result').innerText());
  }
  for (const s of [first, now]) {
    if (s.state !== 'Streaming' || s.duplicates !== 0 || !s.ascending || s.steps !== String(INTERVAL)) {
      fail(`a live panel should hold each time once, ascending, ${INTERVAL} ms apart: ${s.text}`);
    }
  }
  // The range stays whole: at most the row at its start falls off as it moves.
  if (now.rows < before.rows - 1) {
    fail(`the live panel lost rows of its range: ${before.rows} before Live, ${now.rows} after`);
  }
  await settle(page);
  await panel.screenshot({ path: join(ARTIFACTS, 'live-panel.png') });
  process.stdout.write(`live panel: newest time +${(now.last - first.last) / 1000} s over ${now.responses - first.responses} stream updates, ${now.rows} rows, no duplicate\n`);
}

/**
 * A page of the host: its errors, console errors and failed requests
 * (other than EXPECTED_FAILURES) are collected in problems.
 */
async function openPage(browser) {
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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
  return { page, problems };
}

/** Runs a scenario on a fresh host (a data source not configured yet) serving pageDir; saves failure-<name>.png when it fails. */
async function onHost(browser, bin, pageDir, name, scenario) {
  const host = await startHost(bin, pageDir);
  const { page, problems } = await openPage(browser);
  try {
    await scenario(page, host, problems);
    if (problems.length > 0) {
      fail(`the page reported errors:\n${problems.join('\n')}`);
    }
  } catch (e) {
    const shot = join(ARTIFACTS, `failure-${name}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    throw new Error(`${name} Grafana: ${e.message}${problems.length ? `\npage errors:\n${problems.join('\n')}` : ''}\n(see ${shot})`);
  } finally {
    await page.close();
    host.child.kill('SIGTERM');
  }
}

/**
 * A pinned Grafana (the oldest the plugin supports, the last minor of 12):
 * the configuration page, Save & test, the query editor and a query.
 */
const pinnedGrafana = (name) => async (page, host) => {
  await page.goto(host.page);
  const config = page.getByTestId('config-page');
  await config.waitFor().catch(async () => fail(`the configuration page did not render: ${await page.content()}`));
  const versions = await page.evaluate(() => ({
    grafana: window.grafanaBootData.settings.buildInfo.version,
    react: document.getElementById('root').dataset.react,
  }));
  const { wanted } = pinnedVersions(name);
  if (versions.grafana !== wanted || !versions.react?.startsWith('18.')) {
    fail(`the host page should run @grafana/* ${wanted} and React 18: ${JSON.stringify(versions)}`);
  }
  await fillAndLeave(page, '#inhouse-url', host.service);
  await pickOption(page, '#auth-method-select', 'API key');
  await page.fill('#inhouse-api-key', host.apiKey);
  await page.getByRole('button', { name: 'Save & test' }).click();
  await page.getByTestId('health-result').getByText('Save & test passed').waitFor()
    .catch(async () => fail(`Save & test: ${await page.getByTestId('health-result').innerText().catch(() => '(no result)')}`));
  await settle(page);
  await config.screenshot({ path: join(ARTIFACTS, `${name}-config-editor.png`) });

  await page.getByTestId('query-page').scrollIntoViewIfNeeded();
  await pickOption(page, '#metric-A', 'Request rate');
  await page.locator('#payload-A-region').waitFor();
  await pickOption(page, '#payload-A-region', 'eu-west');
  await pickOption(page, '#payload-A-service', 'checkout');
  await page.keyboard.press('Escape');
  const result = await textOf(page, 'query-result', /^1 frame\(s\).*checkout/, 'the query');
  await settle(page);
  await page.getByTestId('query-A').screenshot({ path: join(ARTIFACTS, `${name}-query-editor.png`) });
  process.stdout.write(`${name} Grafana (@grafana/* ${versions.grafana}, React ${versions.react}): Save & test passed, ${result}\n`);
};

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const bin = build();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    if (HOSTS.includes('newest')) {
      await onHost(browser, bin, 'browser-test/dist', 'newest', newestGrafana);
    }
    for (const name of HOSTS.filter((h) => h !== 'newest')) {
      const started = Date.now();
      await onHost(browser, bin, `browser-test/dist-${name}`, name, pinnedGrafana(name));
      process.stdout.write(`${name} Grafana's page took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await browser.close();
  }
}

/** The newest Grafana (the root package's @grafana/*): every scenario. */
async function newestGrafana(page, host) {
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
  // A new data source says nothing before the user has typed; once the
  // URL field is left empty, the page says why it is incomplete, and so
  // does the query editor, with the backend's reason.
  if ((await page.getByTestId('config-problems').count()) > 0) {
    fail('a data source just added should not be called incomplete before the user has typed anything');
  }
  await page.focus('#inhouse-url');
  await page.locator('#inhouse-url').blur();
  await page.getByTestId('config-problems').getByText('Enter the URL').waitFor();
  await page.getByTestId('query-A').getByTestId('metrics-error').getByText(/URL is not set/).waitFor()
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

  // The URL field is as wide as the authentication section below it.
  const widths = await page.evaluate(() => {
    const url = document.querySelector('[data-testid="url-field"]');
    // The Auth section is the picker's first ancestor with a width limit in pixels.
    let auth = document.querySelector('#auth-method-select');
    while (auth && !getComputedStyle(auth).maxWidth.endsWith('px')) {
      auth = auth.parentElement;
    }
    return { url: url?.getBoundingClientRect().width, auth: auth?.getBoundingClientRect().width };
  });
  if (!widths.url || !widths.auth || Math.abs(widths.url - widths.auth) > 1) {
    fail(`the URL field should be as wide as the authentication section: ${JSON.stringify(widths)}`);
  }

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
  await page.locator('#payload-A-region').waitFor();
  await page.locator('#payload-A-service').waitFor();
  await pickOption(page, '#payload-A-region', 'eu-west');
  await pickOption(page, '#payload-A-service', 'checkout');
  await page.keyboard.press('Escape');
  await page.getByTestId('query-result').getByText(/^1 frame\(s\).*checkout/).waitFor();
  const result = await page.getByTestId('query-result').innerText();
  if (/error/i.test(result) || !/^[1-9]\d* frame\(s\)/.test(result)) {
    fail(`the query through the backend did not return frames: ${result}`);
  }
  await page.fill('#legend-A', '{{service}} in {{region}}');
  await page.press('#legend-A', 'Enter');
  await page.getByTestId('query-result').getByText('checkout in eu-west').waitFor();

  // A second query of the same panel: its own ids, its labels inside it,
  // and choosing there leaves query A alone.
  await pickOption(page, '#metric-B', 'Request rate');
  await page.locator('#payload-B-region').waitFor();
  await pickOption(page, '#payload-B-region', 'us-east');
  await page.getByTestId('query-result-B').getByText(/frame\(s\).*us-east/).waitFor();
  const idCheck = await page.evaluate(() => {
    // Icons inline Grafana's SVG files, which carry their own ids (Layer_1).
    const ids = [...document.querySelectorAll('[id]')].filter((e) => !e.closest('svg')).map((e) => e.id);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    const crossing = [];
    for (const refId of ['A', 'B']) {
      const root = document.querySelector(`[data-testid="query-${refId}"]`);
      for (const label of root.querySelectorAll('label[for]')) {
        const target = document.getElementById(label.htmlFor);
        if (!target || !root.contains(target)) {
          crossing.push(`${refId}: "${label.textContent}" -> ${label.htmlFor}`);
        }
      }
    }
    return { duplicates, crossing };
  });
  if (idCheck.duplicates.length || idCheck.crossing.length) {
    fail(`two open editors share ids or cross labels: ${JSON.stringify(idCheck)}`);
  }
  if (!(await page.getByTestId('query-result').innerText()).includes('checkout in eu-west')) {
    fail('choosing in query B changed query A');
  }
  await editor.screenshot({ path: join(ARTIFACTS, 'query-editor.png') });

  // Options that depend on another field are fetched again when it
  // changes. The reference server lists every option itself, so its
  // metric list gets one more field here, whose options Grafana's
  // backend route is asked for: zones of the chosen region.
  const zoneCalls = [];
  await page.route('**/api/datasources/uid/inhouse/resources/metrics', async (route) => {
    const res = await route.fetch();
    const metrics = await res.json();
    for (const m of metrics) {
      if (m.value === 'requests_per_second') {
        m.payloads = [...(m.payloads ?? []), { name: 'zone', label: 'Zone', type: 'select' }];
      }
      // A metric that declares no payload field, as many JSON datasource services list.
      if (m.value === 'error_ratio') {
        delete m.payloads;
      }
    }
    await route.fulfill({ response: res, json: metrics });
  });
  await page.route('**/api/datasources/uid/inhouse/resources/metric-payload-options', async (route) => {
    const body = route.request().postDataJSON();
    if (body.name !== 'zone') {
      return route.continue();
    }
    zoneCalls.push(body.payload);
    const zones = { 'eu-west': ['eu-west-1a', 'eu-west-1b'], 'us-east': ['us-east-1a'] }[body.payload.region] ?? [];
    return route.fulfill({ json: zones.map((z) => ({ label: z, value: z })) });
  });
  // Another metric and back: the list is fetched again, with the zone field.
  await pickOption(page, '#metric-B', 'CPU usage');
  await pickOption(page, '#metric-B', 'Request rate');
  await page.locator('#payload-B-zone').waitFor().catch(() => fail('the zone field did not appear'));
  await pickOption(page, '#payload-B-region', 'eu-west');
  await pickOption(page, '#payload-B-zone', 'eu-west-1b');
  await pickOption(page, '#payload-B-region', 'us-east');
  await page.click('#payload-B-zone');
  await page.getByRole('option', { name: 'us-east-1a' }).waitFor().catch(() => fail('zones were not fetched again for us-east'));
  const offered = await page.getByRole('option').allInnerTexts();
  if (offered.some((o) => o.startsWith('eu-west-1a'))) {
    fail(`after switching to us-east the zone menu still offers eu-west zones: ${offered.join(' | ')}`);
  }
  await page.keyboard.press('Escape');
  const regionsAsked = zoneCalls.map((p) => p.region);
  if (regionsAsked.join() !== 'eu-west,us-east') {
    fail(`zone options should be fetched once per region, got payloads ${JSON.stringify(zoneCalls)}`);
  }

  // A metric that declares no field: its payload is typed into Grafana's
  // code editor (Monaco, loaded on first use), shown without a click; it
  // is checked when the editor loses focus, and reaches the service.
  await pickOption(page, '#metric-B', 'Error ratio');
  const queryB = page.getByTestId('query-B');
  const payloadCode = queryB.getByRole('textbox', { name: 'Payload (JSON)' });
  await payloadCode.waitFor().catch(() => fail('a metric without payload fields offers no JSON payload editor'));
  // The editor itself, not the widgets Monaco keeps beside it (rename box).
  const monaco = queryB.locator('.monaco-editor[data-uri]');
  // Monaco draws its text in .view-lines, spaces as no-break spaces.
  const codeText = async () => (await monaco.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
  const typeCode = async (text) => {
    await monaco.locator('.view-lines').click();
    // Emptied first: a bracket or quote typed over a selection surrounds it.
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(text);
    // Monaco closes brackets and quotes as they open; typing the closing one steps over it.
    if ((await codeText()) !== text) {
      fail(`typed ${text} into the payload editor, it holds ${await codeText()}`);
    }
    // Leaving the editor, as a user clicks elsewhere, commits the text.
    await page.getByRole('heading', { name: 'Query editors' }).click();
  };
  await typeCode('{"service": ["search"], "region": eu-west}');
  await queryB.getByText(/The payload is not valid JSON/).waitFor()
    .catch(() => fail('the payload editor did not say that the JSON is not valid'));
  // Monaco's JSON language (its web worker) underlines the mistake too.
  await monaco.locator('.squiggly-error').first().waitFor()
    .catch(() => fail('Monaco did not mark the invalid JSON: is the editor in JSON mode, with its worker?'));
  await typeCode('{"service": ["search"], "region": "eu-west"}');
  await queryB.getByText(/The payload is not valid JSON/).waitFor({ state: 'detached' })
    .catch(() => fail('the payload editor still says the JSON is not valid after it was fixed'));
  await monaco.locator('.squiggly-error').first().waitFor({ state: 'detached' })
    .catch(() => fail('Monaco still marks the fixed JSON as invalid'));
  await page.getByTestId('query-result-B').getByText(/frame\(s\).*error_ratio\{region=eu-west, service=search\}/).waitFor()
    .catch(async () => fail(`the typed payload did not reach the service: ${await page.getByTestId('query-result-B').innerText()}`));
  // Saved, the payload is shown as the object it became.
  if (JSON.parse(await codeText()).region !== 'eu-west') {
    fail(`the payload editor should show the saved payload, it holds ${await codeText()}`);
  }
  await settle(page);
  await queryB.screenshot({ path: join(ARTIFACTS, 'payload-json-editor.png') });
  const typedResult = await page.getByTestId('query-result-B').innerText();
  if (/checkout|us-east/.test(typedResult)) {
    fail(`the typed payload should select one series: ${typedResult}`);
  }

  await dashboard(page);
  await livePanel(page);
  process.stdout.write(`browser test passed: ${result}\n`);
}

main().catch((e) => {
  process.stderr.write(`browser test FAILED: ${e.message}\n`);
  process.exit(1);
});
