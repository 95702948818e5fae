import { test, expect, docker, startContainer, removeContainer, hydrated, TestContainer, allowExpectedNotFound } from './fixtures';
import type { Page, APIRequestContext } from '@playwright/test';
import { STATE } from '../global-setup';

const BURN = "trap 'exit 0' TERM; while true; do :; done";

let c: TestContainer;
test.beforeEach(() => { c = startContainer('stats', { command: BURN }); });
// Close the page first: a container removed under an open page is a 404 it would report.
test.afterEach(async ({ page }) => { await page.close(); removeContainer(c); });

const chart = (page: Page) => page.locator('canvas.chart');
const num = async (page: Page, attr: string) => Number((await chart(page).getAttribute(attr)) || '-1');
const cpuValue = async (page: Page) => Number((await page.getByTestId('cpu-readout').getAttribute('data-value')) || '0');

async function openStats(page: Page, id = c.id, query = '') {
  await page.goto(`/containers/local/${id}/stats${query}`);
  await hydrated(page);
}

async function collectors(request: APIRequestContext) {
  const body = await (await request.get('/healthz')).json();
  return body.metrics as { watched: number; collectors_running: number; collectors_started: number };
}

/** Counts pixels of exactly this colour on the chart canvas. */
async function pixelsOf(page: Page, rgb: [number, number, number]) {
  return page.evaluate(([r, g, b]) => {
    const canvas = document.querySelector('canvas.chart') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) n++;
    return n;
  }, rgb);
}

test('a CPU-burning container: points and a CPU readout above 50 % within 5 s', async ({ page }) => {
  await openStats(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 5_000 }).toBeGreaterThan(0);
  await expect.poll(() => cpuValue(page), { timeout: 5_000 }).toBeGreaterThan(50);
  await expect(page.getByTestId('cpu-readout')).toContainText(/of \d+ cores/);
  await expect(chart(page)).toHaveAttribute('aria-label', /CPU \d+(\.\d)? %/);
});

test('stop from the UI: not running within 3 s, no new points, history still drawn; start: points after a gap', async ({ page }) => {
  await openStats(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(1);
  await page.locator('button[data-action="stop"]').click();
  await expect(page.getByTestId('stats-status')).toContainText('Not running', { timeout: 3_000 });
  await expect(page.getByTestId('stats-status')).toContainText(/exited .* ago, code 0/);
  const last = await num(page, 'data-last-seq');
  await page.waitForTimeout(5_000);
  expect(await num(page, 'data-last-seq')).toBe(last);
  expect(await num(page, 'data-points')).toBeGreaterThan(0);

  await page.locator('button[data-action="start"]').click();
  await expect.poll(() => num(page, 'data-last-seq'), { timeout: 10_000 }).toBeGreaterThan(last + 1);
  await expect(page.getByTestId('stats-status')).toHaveCount(0);
  expect(await num(page, 'data-segments')).toBeGreaterThanOrEqual(2);
});

test('three stop/start/restart cycles with the docker CLI: the chart follows, one collector', async ({ page, request }) => {
  const before = await collectors(request);
  await openStats(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(0);
  for (let i = 0; i < 3; i++) {
    docker('stop', c.id);
    await expect(page.getByTestId('stats-status')).toContainText('Not running', { timeout: 5_000 });
    const stoppedAt = await num(page, 'data-last-seq');
    docker('start', c.id);
    await expect(page.getByTestId('stats-status')).toHaveCount(0, { timeout: 5_000 });
    await expect.poll(() => num(page, 'data-last-seq'), { timeout: 10_000 }).toBeGreaterThan(stoppedAt);
    const beforeRestart = await num(page, 'data-last-seq');
    docker('restart', '-t', '2', c.id);
    await expect.poll(() => num(page, 'data-last-seq'), { timeout: 10_000 }).toBeGreaterThan(beforeRestart + 1);
  }
  expect(await num(page, 'data-segments')).toBeGreaterThanOrEqual(4);
  const after = await collectors(request);
  // Exactly one collector was started for this container, and it is the
  // only one running that was not running before.
  expect(after.collectors_started).toBe(before.collectors_started + 1);
  expect(after.collectors_running).toBe(before.collectors_running + 1);
});

test('reload: the history is back at once', async ({ page }) => {
  await openStats(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 10_000 }).toBeGreaterThan(3);
  const points = await num(page, 'data-points');
  await page.reload();
  await hydrated(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 2_000 }).toBeGreaterThanOrEqual(points);
});

test('two browsers on one container see the same seqs; closing one does not stop the other', async ({ browser }) => {
  const a = await browser.newContext({ storageState: STATE });
  const b = await browser.newContext({ storageState: STATE });
  const pa = await a.newPage();
  const pb = await b.newPage();
  await openStats(pa);
  await openStats(pb);
  await expect.poll(() => num(pa, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(1);
  await expect.poll(() => num(pb, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(1);
  expect(await num(pa, 'data-epoch')).toBe(await num(pb, 'data-epoch'));
  expect(await num(pa, 'data-first-seq')).toBe(await num(pb, 'data-first-seq'));
  await expect.poll(async () => Math.abs((await num(pa, 'data-last-seq')) - (await num(pb, 'data-last-seq'))), { timeout: 5_000 }).toBeLessThanOrEqual(1);
  await a.close();
  const last = await num(pb, 'data-last-seq');
  await expect.poll(() => num(pb, 'data-last-seq'), { timeout: 6_000 }).toBeGreaterThan(last + 1);
  await b.close();
});

test('the theme toggle redraws the CPU line in the new theme colour at once; a user stylesheet recolours it', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  // The time axis spans the whole range: 15 min, so a few seconds of points make a line long enough to count.
  await openStats(page, c.id, '?range=15m');
  await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(2);
  const light: [number, number, number] = [11, 99, 197];
  const dark: [number, number, number] = [108, 176, 255];
  await expect.poll(() => pixelsOf(page, light), { timeout: 30_000 }).toBeGreaterThan(20);
  expect(await pixelsOf(page, dark)).toBe(0);
  await page.getByRole('button', { name: /theme/i }).click();
  // At once: well before the next poll would redraw anyway.
  await expect.poll(() => pixelsOf(page, dark), { timeout: 500 }).toBeGreaterThan(20);
  expect(await pixelsOf(page, light)).toBe(0);

  // A user stylesheet (as an extension would add it; constructed, so the
  // page's CSP, which refuses inline <style>, does not apply).
  await page.evaluate(() => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(':root, :root[data-theme="dark"] { --chart-cpu: #ff00ff !important; }');
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  });
  await expect.poll(() => pixelsOf(page, [255, 0, 255]), { timeout: 5_000 }).toBeGreaterThan(20);
});

test('the OS switching to dark redraws the chart without reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await openStats(page, c.id, '?range=15m');
  await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(2);
  await expect.poll(() => pixelsOf(page, [11, 99, 197]), { timeout: 30_000 }).toBeGreaterThan(20);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => pixelsOf(page, [108, 176, 255]), { timeout: 500 }).toBeGreaterThan(20);
});

test('leaving the Stats tab stops the requests', async ({ page }) => {
  let requests = 0;
  page.on('request', (r) => { if (r.url().includes('/api/container_metrics')) requests++; });
  await openStats(page);
  await expect.poll(() => requests, { timeout: 5_000 }).toBeGreaterThan(2);
  await page.getByRole('link', { name: 'Config', exact: true }).click();
  await expect(page.getByTestId('config')).toBeVisible();
  await page.waitForTimeout(1_500);
  const after = requests;
  await page.waitForTimeout(3_000);
  expect(requests).toBe(after);
});

test('no requests while the browser tab is hidden; one catch-up request on return', async ({ page }) => {
  let requests = 0;
  page.on('request', (r) => { if (r.url().includes('/api/container_metrics')) requests++; });
  await openStats(page);
  await expect.poll(() => requests, { timeout: 5_000 }).toBeGreaterThan(1);
  const setVisibility = (state: string) => page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
  await setVisibility('hidden');
  await page.waitForTimeout(1_500);
  const hidden = requests;
  await page.waitForTimeout(4_000);
  expect(requests).toBe(hidden);
  await setVisibility('visible');
  await page.waitForTimeout(400);
  expect(requests).toBe(hidden + 1);
});

test('the Stats tab is reachable by keyboard and by URL', async ({ page }) => {
  await page.goto(`/containers/local/${c.id}`);
  await hydrated(page);
  await page.keyboard.press('s');
  await expect(page).toHaveURL(new RegExp(`/containers/local/${c.id}/stats$`));
  await expect(page.getByTestId('stats')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Stats', exact: true })).toHaveClass(/active/);
});

test('a removed container says so and keeps its history', async ({ page, consoleErrors }) => {
  await openStats(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(1);
  docker('rm', '-f', c.id);
  await expect(page.getByTestId('stats-status')).toContainText('Removed', { timeout: 5_000 });
  expect(await num(page, 'data-points')).toBeGreaterThan(1);
  await expect(page.getByTestId('not-found')).toContainText('Container not found', { timeout: 5_000 });
  // The container page's details poll met the removal once (404), then stopped asking.
  await page.waitForTimeout(4_500);
  expect(consoleErrors.filter((e) => e.includes('status of 404')).length).toBeLessThanOrEqual(1);
  allowExpectedNotFound(consoleErrors);
});

test.describe('on a HiDPI screen', () => {
  test.use({ deviceScaleFactor: 2, viewport: { width: 1000, height: 900 } });

  test('the canvas backing store follows devicePixelRatio and the window size', async ({ page }) => {
    await openStats(page);
    await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(0);
    const size = () => page.evaluate(() => {
      const c = document.querySelector('canvas.chart') as HTMLCanvasElement;
      return { w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight };
    });
    const before = await size();
    expect(before.w).toBe(before.cw * 2);
    expect(before.h).toBe(before.ch * 2);
    await page.setViewportSize({ width: 700, height: 900 });
    await expect.poll(async () => (await size()).w, { timeout: 2_000 }).toBeLessThan(before.w);
    const after = await size();
    expect(after.w).toBe(after.cw * 2);
  });
});
