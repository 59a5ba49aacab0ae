#!/usr/bin/env node
// End-to-end test in a real browser: headless Chromium driven by playwright-core.
//   BASE=http://127.0.0.1:PORT OUT=target/browser node tests/browser/e2e.js
// Run by tests/app/browser.rs against a fresh demo database (history, targets and airings loaded).
// Signs in as manager through the /login form, lands on /dashboard, checks the coverage map and
// the materials table, saves OUT/dashboard.png (full page, 1280 px wide) and OUT/dashboard-top.png
// (down to the end of the map: the README's picture), follows a map tile into
// its /shipments drill-down (OUT/drilldown.png), then switches to Spanish with the header's
// language form and checks <html lang="es"> on the dashboard. Exit 1 with a message on any failure.
// Needs: `npm ci` in this folder; Chromium at $CHROMIUM or /usr/bin/chromium.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = (process.env.BASE || 'http://127.0.0.1:8080').replace(/\/$/, '');
const OUT = path.resolve(process.env.OUT || path.join(__dirname, 'out'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const MANAGER = ['manager', 'demo-manager-pass'];

class Failure extends Error {}
function check(ok, message) {
  if (!ok) throw new Failure(message);
}

function step(message) {
  console.log(`e2e: ${message}`);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-chromium-'));
  // A persistent context on an empty, throw-away profile: Chromium gets --user-data-dir=<profile>.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(30000);

    // 1. Sign in through the real form.
    let resp = await page.goto(`${BASE}/login`);
    check(resp && resp.status() === 200, `GET /login answered ${resp && resp.status()}`);
    await page.fill('#username', MANAGER[0]);
    await page.fill('#password', MANAGER[1]);
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    let url = new URL(page.url());
    check(url.pathname === '/dashboard', `after signing in as manager the browser is on ${url.pathname}, expected /dashboard`);
    step(`signed in as ${MANAGER[0]}, landed on ${url.pathname}`);

    // 2. The dashboard: the coverage map with tile links, and the materials table.
    check((await page.locator('svg#coverage-map').count()) === 1, 'the dashboard has no svg#coverage-map');
    const tiles = await page.$$eval('svg#coverage-map a', (as) =>
      as.map((a) => ({ href: a.getAttribute('href'), label: a.getAttribute('aria-label') || '' }))
    );
    check(tiles.length > 0, 'the coverage map has no tile links (svg#coverage-map a)');
    const materialRows = await page.locator('table.dashboard-materials tbody tr').count();
    check(materialRows > 0, 'the dashboard has no materials table (table.dashboard-materials) or it has no rows');
    step(`dashboard: ${tiles.length} map tiles, ${materialRows} material rows`);
    await page.screenshot({ path: path.join(OUT, 'dashboard.png'), fullPage: true });
    // For the README: the top of the dashboard, down to the end of the coverage map (the full page
    // is several screens long).
    const coverage = await page.locator('section#coverage').boundingBox();
    const height = coverage ? Math.ceil(coverage.y + coverage.height + 24) : 1400;
    await page.screenshot({ path: path.join(OUT, 'dashboard-top.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height } });
    step(`saved ${path.join(OUT, 'dashboard.png')} and dashboard-top.png (1280×${height})`);

    // 3. Drill down from a map tile, preferably one with something distributed ("Region: 1.234 / …").
    const distributed = (label) => {
      const m = label.slice(label.lastIndexOf(': ') + 2).match(/^[\d.,\s]+/);
      return m ? Number(m[0].replace(/[^\d]/g, '')) || 0 : 0;
    };
    const index = Math.max(
      0,
      tiles.findIndex((t) => distributed(t.label) > 0)
    );
    const tile = tiles[index];
    step(`clicking tile "${tile.label}" → ${tile.href}`);
    // SVG links have no box of their own: click the tile's rectangle.
    await Promise.all([
      page.waitForNavigation(),
      page.locator('svg#coverage-map a').nth(index).locator('rect').click(),
    ]);
    url = new URL(page.url());
    check(url.pathname === '/shipments' && url.search.length > 1, `the tile led to ${url.pathname}${url.search}, expected /shipments?…`);
    const resultRows = await page.locator('main table tbody tr:has(a[href^="/shipments/"])').count();
    check(resultRows > 0, `the drill-down ${url.pathname}${url.search} has no result rows`);
    await page.screenshot({ path: path.join(OUT, 'drilldown.png'), fullPage: true });
    step(`drill-down ${url.pathname}${url.search}: ${resultRows} rows; saved ${path.join(OUT, 'drilldown.png')}`);

    // 4. Spanish, through the header's language form.
    resp = await page.goto(`${BASE}/dashboard`);
    check(resp && resp.status() === 200, `GET /dashboard answered ${resp && resp.status()}`);
    await Promise.all([page.waitForNavigation(), page.click('form.lang-switch button[value=es]')]);
    resp = await page.goto(`${BASE}/dashboard`);
    const lang = await page.evaluate(() => document.documentElement.lang);
    check(lang === 'es', `after choosing Español the dashboard has <html lang="${lang}">, expected "es"`);
    check((await page.locator('svg#coverage-map a').count()) > 0, 'the Spanish dashboard has no map tiles');
    step('Spanish dashboard: <html lang="es">');
    await phoneDashboard(context);
    await shipmentForm();
    console.log('e2e: ok');
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// 5. On a phone (390 px, still Spanish): the regions are a grid of tiles whose labels are
// legible (>= 12 px as rendered), and a tap opens a tile to its figures.
async function phoneDashboard(context) {
  const page = await context.newPage();
  try {
    await page.setViewportSize({ width: 390, height: 844 });
    const resp = await page.goto(`${BASE}/dashboard`);
    check(resp && resp.status() === 200, `GET /dashboard at 390 px answered ${resp && resp.status()}`);
    check(!(await page.locator('svg#coverage-map').isVisible()), 'at 390 px the small geographic map is still shown');
    const labels = await page.$$eval('ul.tile-grid summary .tile-name, ul.tile-grid summary .tile-value', (els) =>
      els.filter((el) => el.getClientRects().length > 0).map((el) => ({ text: el.textContent.trim(), px: parseFloat(getComputedStyle(el).fontSize) }))
    );
    check(labels.length >= 2 * 11, `at 390 px only ${labels.length} visible tile labels, expected names and values of every region`);
    const small = labels.filter((l) => l.px < 12);
    check(small.length === 0, `tile labels under 12 px at 390 px: ${small.map((l) => `${l.text} (${l.px} px)`).join(', ')}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `at 390 px the page scrolls sideways by ${overflow} px`);
    const tile = page.locator('ul.tile-grid details').first();
    check(!(await tile.locator('dl').isVisible()), 'a tile shows its figures before it is tapped');
    await tile.locator('summary').tap().catch(() => tile.locator('summary').click());
    check(await tile.locator('dl a').first().isVisible(), 'tapping a tile does not show its figures');
    // The key columns (material, distributed, share) are on screen without scrolling.
    const keyColumn = await page.$$eval('table.dashboard-materials thead tr:last-child th', (ths) =>
      ths.slice(0, 3).map((th) => ({ text: th.textContent.trim(), right: th.getBoundingClientRect().right }))
    );
    const hidden = keyColumn.filter((c) => c.right > 390);
    check(hidden.length === 0, `the materials table's first columns are off-screen at 390 px: ${hidden.map((c) => c.text).join(', ')}`);
    await page.screenshot({ path: path.join(OUT, 'dashboard-phone.png'), fullPage: true });
    step(`phone dashboard: ${labels.length} tile labels, smallest ${Math.min(...labels.map((l) => l.px))} px; a tap opens a tile; saved dashboard-phone.png`);
  } finally {
    await page.close();
  }
}

// 6. A clerk's new shipment: the destination picker narrows by region, type and text, and each
// line says what the chosen origin holds of its material.
async function shipmentForm() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 }, locale: 'en-US',
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(30000);
    await page.goto(`${BASE}/login`);
    await page.fill('#username', 'logistics');
    await page.fill('#password', 'demo-logistics-pass');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    const resp = await page.goto(`${BASE}/shipments/new`);
    check(resp && resp.status() === 200, `GET /shipments/new answered ${resp && resp.status()}`);
    check(await page.locator('#destination_region').isVisible(), 'the destination picker offers no region filter');
    const visible = () => page.$$eval('#destination_id option[value]:not([value=""])', (os) => os.filter((o) => !o.hidden).map((o) => o.textContent));
    const all = await visible();
    const region = await page.$eval('#destination_region option:nth-child(2)', (o) => ({ value: o.value, text: o.textContent }));
    await page.selectOption('#destination_region', region.value);
    const inRegion = await visible();
    check(inRegion.length > 0 && inRegion.length < all.length, `narrowing to ${region.text} left ${inRegion.length} of ${all.length} places`);
    const groups = await page.$$eval('#destination_id optgroup', (gs) => gs.filter((g) => !g.hidden).map((g) => g.label));
    check(groups.length === 1 && groups[0] === region.text, `narrowed to ${region.text}, the groups shown are ${groups.join(', ')}`);
    const type = await page.$eval('#destination_type option:nth-child(2)', (o) => ({ value: o.value, text: o.textContent }));
    await page.selectOption('#destination_region', '');
    await page.selectOption('#destination_type', type.value);
    const ofType = await visible();
    check(ofType.length > 0 && ofType.every((t) => t.includes(type.text)), `narrowed to ${type.text}, shown: ${ofType.slice(0, 5).join(' | ')}`);
    await page.selectOption('#destination_type', '');
    const first = all[0];
    const word = first.split(' — ')[0].split(' ')[0];
    await page.fill('#destination_text', word);
    const byText = await visible();
    check(byText.includes(first), `typing "${word}" hid "${first}"`);
    // What the origin holds of the chosen material, in the form's words.
    const origin = await page.$eval('#origin_id option:nth-child(2)', (o) => o.value);
    await page.selectOption('#origin_id', origin);
    const material = await page.$eval('#line_material_0 option:nth-child(2)', (o) => o.value);
    await page.selectOption('#line_material_0', material);
    const holds = (await page.locator('#line_quantity_0-holds').textContent()).trim();
    check(/holds/.test(holds), `after choosing an origin and a material, line 1 says "${holds}"`);
    step(`shipment form: ${all.length} places, ${inRegion.length} in ${region.text}, ${ofType.length} of type ${type.text}; line 1: "${holds}"`);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Failure ? `e2e FAILED: ${e.message}` : `e2e FAILED: ${e.stack || e}`);
  process.exit(1);
});
