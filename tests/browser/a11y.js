#!/usr/bin/env node
// Accessibility and HTML validity of every page, in a real browser.
//   BASE=http://127.0.0.1:PORT OUT=target/browser/a11y node tests/browser/a11y.js
// Run by tests/app/browser.rs against a fresh demo database (history, targets and airings loaded).
// Headless Chromium (playwright-core) signs in through the real /login form and visits the pages
// as admin (the dashboard also as manager, /users as viewer for the 403 page), in English and
// Spanish, at 1280 and 390 px wide. On each render: axe-core (WCAG 2.0/2.1 A and AA plus best
// practice), loaded with page.evaluate so the app's CSP stays on; a reflow check (no sideways
// scrolling of the whole page, WCAG 1.4.10); the expected status and <html lang>. The server's
// HTML of every page is saved to OUT/html and checked by the Nu HTML checker (vnu.jar; needs Java).
// Exit 1 on any axe violation, vnu error or page problem; the last line is the summary.
// The one refused sign-in per language comes last: failures count against the IP's throttle.
// Needs: `npm ci` in this folder; Chromium at $CHROMIUM or /usr/bin/chromium; java on PATH.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const BASE = (process.env.BASE || 'http://127.0.0.1:8080').replace(/\/$/, '');
const OUT = path.resolve(process.env.OUT || path.join(__dirname, 'out', 'a11y'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VNU_JAR = require.resolve('vnu-jar/build/dist/vnu.jar');
const WIDTHS = [1280, 390];
const LANGS = ['en', 'es'];
// Full-page screenshots at 390 px too for these (all pages get one at 1280 px).
const SHOT_NARROW = new Set([
  'home',
  'dashboard',
  'dashboard-manager',
  'shipments',
  'shipment-new',
  'material-new-422',
  'recipient',
  'recipient-422',
  'recipient-confirmed',
  'confirm-code',
]);
// A shipment in transit to a distribution point (tests/app/browser.rs picks it).
const SHIPMENT = process.env.SHIPMENT;
const ADMIN = ['admin', 'demo-admin-pass'];
const MANAGER = ['manager', 'demo-manager-pass'];
const VIEWER = ['viewer', 'demo-viewer-pass'];

// Pages reached with a plain GET as admin: [name, path, expected status]. `{depot}` is the id of
// the central depot DEP-CCS, read from /stock.
const ADMIN_PAGES = [
  ['home', '/', 200],
  ['dashboard', '/dashboard', 200],
  ['report', '/report', 200],
  ['stock', '/stock', 200],
  ['stock-material-2', '/stock/materials/2', 200],
  ['stock-location-depot', '/stock/locations/{depot}', 200],
  ['shipments', '/shipments', 200],
  ['shipment-1', '/shipments/1', 200],
  ['shipment-new', '/shipments/new', 200],
  ['waybills', '/shipments/waybills?origin={depot}', 200],
  ['receipts', '/receipts', 200],
  ['receipt-new', '/receipts/new', 200],
  ['adjustment-new', '/adjustments/new', 200],
  ['count-new', '/counts/new?location={depot}', 200],
  ['targets', '/targets', 200],
  ['airings', '/airings', 200],
  ['campaigns', '/campaigns', 200],
  ['campaign-1', '/campaigns/1', 200],
  ['materials', '/materials', 200],
  ['material-1', '/materials/1', 200],
  ['locations', '/locations', 200],
  ['location-2', '/locations/2', 200],
  ['regions', '/regions', 200],
  ['location-types', '/location-types', 200],
  ['users', '/users', 200],
  ['user-2-edit', '/users/2/edit', 200],
  ['audit', '/audit', 200],
  ['lock-date', '/settings/lock-date', 200],
  ['imports', '/imports', 200],
  ['import-1', '/imports/1', 200],
  ['not-found', '/nope', 404],
  ['not-found-id', '/shipments/99999999', 404],
  // Filters a list cannot use: the form comes back with each message beside its field.
  ['shipments-422', '/shipments?status=lost&material=NOPE&from=2024-13-01&dest=depots', 422],
  ['receipts-422', '/receipts?depot=NOPE&to=x', 422],
  ['stock-422', '/stock?material=NOPE&depots=maybe', 422],
  ['airings-422', '/airings?ownership=evil&from=x', 422],
  ['locations-422', '/locations?status=gone', 422],
  ['audit-422', '/audit?entity=nope', 422],
  ['dashboard-422', '/dashboard?days=0&from=2006-01-02&to=2006-01-01', 422],
];
// Forms submitted empty through the browser (novalidate): the server re-renders them with errors.
const INVALID_FORMS = [
  ['material-new-422', '/materials/new', 422],
  ['location-new-422', '/locations/new', 422],
];

const results = []; // {name, lang, width, status, url, violations}
const problems = [];

async function runAxe(page) {
  // page.evaluate runs through the DevTools protocol, so the app's CSP (script-src 'self') stays on.
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(() =>
    axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })
  );
}

// Checks the page as loaded, at every width (same HTML, laid out again): axe, reflow, screenshots.
async function record(page, name, lang, response, expected) {
  const status = response ? response.status() : 0;
  if (status !== expected) problems.push(`${name} [${lang}] ${page.url()}: status ${status}, expected ${expected}`);
  if (response) fs.writeFileSync(path.join(OUT, 'html', `${name}.${lang}.html`), await response.text());
  const actualLang = await page.evaluate(() => document.documentElement.lang);
  if (actualLang !== lang) problems.push(`${name} [${lang}]: <html lang="${actualLang}">`);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
    const axe = await runAxe(page);
    results.push({ name, lang, width, status, url: page.url(), violations: axe.violations });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth
    );
    if (overflow > 0) problems.push(`${name} [${lang}@${width}]: page scrolls sideways by ${overflow}px (reflow)`);
    if (width === WIDTHS[0] || SHOT_NARROW.has(name)) {
      await page.screenshot({ path: path.join(OUT, 'shots', `${name}.${lang}.${width}.png`), fullPage: true });
    }
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 900 });
}

async function signIn(page, [user, pass]) {
  await page.context().clearCookies();
  await page.goto(`${BASE}/login`);
  await page.fill('#username', user);
  await page.fill('#password', pass);
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  if (new URL(page.url()).pathname === '/login') throw new Error(`sign-in as ${user} failed (${resp && resp.status()})`);
}

async function switchLanguage(page, lang) {
  // The header's language buttons: a POST form, back to the same page.
  const current = await page.evaluate(() => document.documentElement.lang);
  if (current === lang) return;
  await Promise.all([page.waitForNavigation(), page.click(`form.lang-switch button[value="${lang}"]`)]);
}

// The recipient's pages, as a phone without an account meets them: staff issue the delivery
// note's code and the place's PIN; the link printed on the note opens the form, a wrong PIN is
// refused, the right one confirms.
async function recipientPages(page) {
  let resp;
  await signIn(page, ADMIN);
  await switchLanguage(page, 'en');
  await page.goto(`${BASE}/shipments/${SHIPMENT}`);
  [resp] = await Promise.all([page.waitForNavigation(), page.click('main form[action$="/code"] button[type=submit]')]);
  await record(page, 'waybill-code', 'en', resp, 200);
  const link = (await page.textContent('.recipient-code .link code')).trim();
  if (!link.startsWith(`${BASE}/c/`)) throw new Error(`the delivery note's link is ${link}`);
  const place = await page.evaluate(async (id) => {
    const html = await (await fetch(`/shipments/${id}`)).text();
    const m = html.match(/Destination<\/dt>\s*<dd><a href="\/stock\/locations\/(\d+)"/);
    return m && m[1];
  }, SHIPMENT);
  if (!place) throw new Error(`shipment ${SHIPMENT} names no destination`);
  await page.goto(`${BASE}/locations/${place}`);
  await Promise.all([page.waitForNavigation(), page.click('main form[action$="/pin"] button[type=submit]')]);
  const pin = (await page.textContent('.place-card .pin')).replace(/\D/g, '');

  await page.context().clearCookies();
  const fill = async (pinTyped) => {
    for (const input of await page.$$('main input[name^="received_"]')) await input.fill('5');
    for (const select of await page.$$('main select[name^="reason_"]')) await select.selectOption('damaged');
    await page.fill('#confirmer_name', 'Carmen Rodríguez');
    await page.fill('#confirmer_role', 'Directora');
    await page.fill('#pin', pinTyped);
    await page.check('#i_confirm');
    const [r] = await Promise.all([page.waitForNavigation(), page.click('main form.stacked button[type=submit]')]);
    return r;
  };
  for (const lang of LANGS) {
    await page.goto(link);
    await switchLanguage(page, lang);
    resp = await page.goto(link);
    await record(page, 'recipient', lang, resp, 200);
    resp = await fill(pin === '000000' ? '000001' : '000000');
    await record(page, 'recipient-422', lang, resp, 422);
    resp = await page.goto(`${BASE}/confirm`);
    await record(page, 'confirm-code', lang, resp, 200);
  }
  resp = await page.goto(link);
  resp = await fill(pin);
  await record(page, 'recipient-confirmed', LANGS[LANGS.length - 1], resp, 200);
  await switchLanguage(page, LANGS[0]);
  resp = await page.goto(link);
  await record(page, 'recipient-confirmed', LANGS[0], resp, 200);
}

// The id of DEP-CCS ("Depósito Central …"), from the holdings table on /stock.
async function depotId(page) {
  await page.goto(`${BASE}/stock`);
  const hrefs = await page.$$eval('main a[href^="/stock/locations/"]', (as) =>
    as.filter((a) => a.textContent.trim().startsWith('Depósito Central')).map((a) => a.getAttribute('href'))
  );
  const m = hrefs.length ? hrefs[0].match(/\/stock\/locations\/(\d+)/) : null;
  if (!m) throw new Error('/stock does not link the central depot DEP-CCS (Depósito Central …)');
  return m[1];
}

async function main() {
  fs.rmSync(path.join(OUT, 'html'), { recursive: true, force: true });
  fs.mkdirSync(path.join(OUT, 'html'), { recursive: true });
  fs.mkdirSync(path.join(OUT, 'shots'), { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-chromium-'));
  // A persistent context on an empty, throw-away profile: Chromium gets --user-data-dir=<profile>.
  // One cookie jar: each role starts with clearCookies().
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: WIDTHS[0], height: 900 },
    locale: 'en-US',
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(30000);
    let resp;
    for (const lang of LANGS) {
      // Signed out: the sign-in page and a 404.
      await context.clearCookies();
      await page.goto(`${BASE}/login`);
      await switchLanguage(page, lang);
      resp = await page.goto(`${BASE}/login`);
      await record(page, 'login', lang, resp, 200);
      resp = await page.goto(`${BASE}/nope`);
      await record(page, 'not-found-signed-out', lang, resp, 404);

      // Admin: every page, then forms re-rendered with errors.
      await signIn(page, ADMIN);
      await switchLanguage(page, lang);
      const depot = await depotId(page);
      for (const [name, url, expected] of ADMIN_PAGES) {
        resp = await page.goto(BASE + url.replace('{depot}', depot));
        await record(page, name, lang, resp, expected);
      }
      for (const [name, url, expected] of INVALID_FORMS) {
        await page.goto(BASE + url);
        [resp] = await Promise.all([page.waitForNavigation(), page.click('main form.stacked button[type=submit]')]);
        await record(page, name, lang, resp, expected);
      }

      // A distribution point's place card: the answer to its PIN form, shown once.
      await page.goto(`${BASE}/locations?q=escuela`);
      const point = await page.$$eval('main a[href^="/locations/"]', (as) =>
        as.map((a) => a.getAttribute('href')).find((h) => /^\/locations\/\d+$/.test(h))
      );
      await page.goto(BASE + point);
      [resp] = await Promise.all([page.waitForNavigation(), page.click('main form[action$="/pin"] button[type=submit]')]);
      await record(page, 'place-card', lang, resp, 200);

      // Manager: the dashboard, their start page.
      await signIn(page, MANAGER);
      await switchLanguage(page, lang);
      resp = await page.goto(`${BASE}/dashboard`);
      await record(page, 'dashboard-manager', lang, resp, 200);

      // Viewer: the 403 page.
      await signIn(page, VIEWER);
      await switchLanguage(page, lang);
      resp = await page.goto(`${BASE}/users`);
      await record(page, 'forbidden', lang, resp, 403);
    }
    if (SHIPMENT) await recipientPages(page);
    // Last (each failure counts against this IP's sign-in throttle): a refused sign-in per language.
    for (const lang of LANGS) {
      await context.clearCookies();
      await page.goto(`${BASE}/login`);
      await switchLanguage(page, lang);
      await page.fill('#username', 'nobody');
      await page.fill('#password', 'wrong-password');
      [resp] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
      await record(page, 'login-failed', lang, resp, 422);
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }

  // axe report, grouped by page and rule (every render is in OUT/axe.json).
  let axeCount = 0;
  const axeGroups = new Map();
  for (const r of results) {
    for (const v of r.violations) {
      axeCount += v.nodes.length;
      const key = `${r.name} ${v.id}`;
      const g = axeGroups.get(key) || { r, v, renders: [], nodes: new Map() };
      g.renders.push(`${r.lang}@${r.width}`);
      for (const n of v.nodes) if (!g.nodes.has(n.target.join(' '))) g.nodes.set(n.target.join(' '), n);
      axeGroups.set(key, g);
    }
  }
  const lines = [];
  for (const { r, v, renders, nodes } of axeGroups.values()) {
    lines.push(`AXE ${r.name} ${new URL(r.url).pathname} [${renders.join(' ')}] ${v.id} (${v.impact}): ${v.help} — ${nodes.size} element(s)`);
    for (const [target, n] of [...nodes].slice(0, 12)) {
      lines.push(`    ${target} ${n.html.replace(/\s+/g, ' ').slice(0, 160)}`);
      lines.push(`        ${(n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240)}`);
    }
    if (nodes.size > 12) lines.push(`    … and ${nodes.size - 12} more (OUT/axe.json)`);
  }

  // vnu on every saved HTML file, in one JVM.
  const files = fs.readdirSync(path.join(OUT, 'html')).map((f) => path.join(OUT, 'html', f)).sort();
  let vnuOut = '';
  let vnuFailed = false;
  try {
    vnuOut = execFileSync('java', ['-jar', VNU_JAR, '--errors-only', '--format', 'text', ...files], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    vnuOut = (e.stdout || '') + (e.stderr || '');
    vnuFailed = true;
    if (e.code === 'ENOENT') problems.push('java is not on PATH: the Nu HTML checker cannot run');
  }
  const vnuErrors = vnuOut.split('\n').filter((l) => /^Error:/.test(l));
  if (vnuFailed && vnuErrors.length === 0 && !problems.some((p) => p.startsWith('java'))) {
    problems.push(`the Nu HTML checker failed without reporting an error: ${vnuOut.trim().slice(0, 500)}`);
  }

  fs.writeFileSync(path.join(OUT, 'axe.json'), JSON.stringify(results, null, 1));
  fs.writeFileSync(path.join(OUT, 'vnu.txt'), vnuOut);
  if (lines.length) console.log(lines.join('\n'));
  // vnu errors grouped by file and message (the full text is in OUT/vnu.txt).
  const vnuLines = vnuOut.split('\n');
  const groups = new Map();
  vnuLines.forEach((l, i) => {
    if (!/^Error:/.test(l)) return;
    const where = vnuLines[i + 1] || '';
    const file = (where.match(/resource file:(\S+)/) || [, '?'])[1];
    const key = `${path.basename(file)} ${l}`;
    const g = groups.get(key) || { count: 0, first: where.replace(/ in resource file:\S+/, '') };
    g.count += 1;
    groups.set(key, g);
  });
  for (const [key, g] of groups) console.log(`VNU ${key} — ${g.count}× (first: ${g.first})`);
  for (const p of problems) console.log('PAGE ' + p);
  const pages = new Set(results.map((r) => r.name)).size;
  console.log(
    `\nchecked ${results.length} renders (${pages} pages × ${LANGS.length} languages × ${WIDTHS.length} widths), ` +
      `${files.length} HTML files: axe violations (nodes): ${axeCount}, vnu errors: ${vnuErrors.length}, ` +
      `page problems: ${problems.length}; reports and screenshots in ${OUT}`
  );
  process.exit(axeCount || vnuErrors.length || problems.length ? 1 : 0);
}

main().catch((e) => {
  console.error(`a11y FAILED: ${e.stack || e}`);
  process.exit(1);
});
