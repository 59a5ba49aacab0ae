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
    console.log('e2e: ok');
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Failure ? `e2e FAILED: ${e.message}` : `e2e FAILED: ${e.stack || e}`);
  process.exit(1);
});
