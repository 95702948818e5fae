import { test, expect, startContainer, removeContainer, hydrated, TestContainer } from './fixtures';
import type { Page } from '@playwright/test';
import * as fs from 'fs';

// The range picker, the aggregated ranges' buckets, the hover readout and
// the download of exactly the window drawn.

let c: TestContainer;
// Busy for a moment, then asleep, every second: each 10 s bucket has a CPU
// minimum well below its maximum, so the band has a height.
const PULSE = "trap 'exit 0' TERM; while true; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1; done";
test.beforeEach(() => { c = startContainer('history', { command: PULSE }); });
// Close the page first: a container removed under an open page is a 404 it would report.
test.afterEach(async ({ page }) => { await page.close(); removeContainer(c); });

const MIN = 60_000;
const SPAN: Record<string, number> = { '15m': 15 * MIN, '1h': 60 * MIN, '6h': 360 * MIN, '24h': 1440 * MIN, '7d': 7 * 1440 * MIN, '30d': 30 * 1440 * MIN };
const BUCKET: Record<string, number> = { '6h': 10_000, '24h': MIN, '7d': 10 * MIN, '30d': 60 * MIN };

interface Drawn { range: string; from: number; to: number; points: number; last: number; left: number; right: number }

/** What the chart says it draws, read at once. */
function drawn(page: Page): Promise<Drawn> {
  return page.getByTestId('chart').evaluate((el: HTMLElement) => {
    const n = (k: string) => (el.dataset[k] ? Number(el.dataset[k]) : NaN);
    return { range: el.dataset.range ?? '', from: n('windowFrom'), to: n('windowTo'), points: n('points'), last: n('lastTime'), left: n('plotLeft'), right: n('plotRight') };
  });
}

/** Picks a range in the picker; waits until it is in the URL and drawn. */
async function pick(page: Page, range: string): Promise<Drawn> {
  const picker = page.getByTestId('range-picker');
  await picker.locator(`[data-range="${range}"]`).click();
  await expect(page).toHaveURL(new RegExp(`/stats\\?range=${range}$`));
  await expect(picker.locator(`[data-range="${range}"]`)).toHaveAttribute('aria-current', 'true');
  await expect(picker.locator('[aria-current="true"]')).toHaveCount(1);
  await expect(page.getByTestId('chart')).toHaveAttribute('data-range', range);
  await expect.poll(async () => (await drawn(page)).points, { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('stats-error')).toHaveCount(0);
  const d = await drawn(page);
  expect(d.range).toBe(range);
  // The x window: the range's span ending now (aggregated: from the start
  // of the window's oldest bucket); live: the points held, at most the span.
  expect(d.to - d.from).toBeLessThanOrEqual(SPAN[range]);
  if (BUCKET[range]) {
    expect(d.to - d.from).toBeGreaterThan(SPAN[range] - BUCKET[range]);
    expect(Math.abs(d.to - Date.now())).toBeLessThan(BUCKET[range] + 5_000);
    expect(d.from % BUCKET[range]).toBe(0);
  }
  expect(d.last).toBeGreaterThanOrEqual(d.from - (BUCKET[range] ?? 0));
  expect(d.last).toBeLessThanOrEqual(d.to);
  expect(d.right).toBeGreaterThan(d.left);
  return d;
}

/**
 * Clicks a download link and reads the file. The link follows every
 * redraw: a download whose link moved on between reading what the chart
 * drew and the click is taken again.
 */
async function download(page: Page, format: 'csv' | 'json') {
  const link = page.getByTestId(`export-${format}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await drawn(page);
    const href = await link.getAttribute('href');
    const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const url = new URL(file.url());
    const after = await drawn(page);
    if (url.pathname + url.search !== href || after.to !== before.to || after.points !== before.points) continue;
    expect(url.searchParams.get('from')).toBe(String(before.from));
    expect(url.searchParams.get('to')).toBe(String(before.to));
    expect(url.searchParams.get('range')).toBe(before.range);
    expect(url.searchParams.get('format')).toBe(format);
    expect(url.searchParams.get('id')).toBe(c.id);
    expect(file.suggestedFilename()).toMatch(new RegExp(`^binnacle-local-${c.id.slice(0, 12)}-${before.range}\\.${format}$`));
    return { drawn: before, text: fs.readFileSync((await file.path())!, 'utf8') };
  }
  throw new Error('the chart kept changing under the download link');
}

test('ranges: picker in the URL, buckets with min/avg/max on hover, the download is the window drawn', async ({ page }) => {
  test.setTimeout(60_000);
  // 1 h first: the container's 1 s collector starts and feeds the long history.
  await page.goto(`/containers/local/${c.id}/stats`);
  await hydrated(page);
  const picker = page.getByTestId('range-picker');
  await expect(picker.locator('a')).toHaveText(['15 min', '1 h', '6 h', '24 h', '7 d', '30 d']);
  await expect(picker.locator('[data-range="1h"]')).toHaveAttribute('aria-current', 'true');
  await expect.poll(async () => (await drawn(page)).points, { timeout: 8_000 }).toBeGreaterThan(0);
  await page.waitForTimeout(12_000);

  // 6 h: 10 s buckets.
  const six = await pick(page, '6h');
  await expect(page.locator('canvas.chart')).toHaveAttribute('aria-label', /last 6 h/);
  // The band (min to max) is drawn for the buckets that have one.
  await expect.poll(async () => Number(await page.getByTestId('chart').getAttribute('data-band-buckets')), { timeout: 15_000 }).toBeGreaterThan(0);
  // Hover over the newest bucket drawn: its time span and min/avg/max.
  const res = BUCKET['6h'];
  const t = Math.min(six.last + res / 2, six.to);
  const x = six.left + ((t - six.from) / (six.to - six.from)) * (six.right - six.left);
  await page.locator('canvas.chart').hover({ position: { x, y: 120 } });
  const hover = page.getByTestId('chart-hover');
  await expect(hover).toHaveAttribute('data-kind', 'bucket');
  await expect(hover).toContainText(/CPU\s*min \d+\.\d % · avg \d+\.\d % · max \d+\.\d %/);
  await expect(hover).toContainText(/Memory\s*min [\d.]+ \w?i?B · avg [\d.]+ \w?i?B · max [\d.]+ \w?i?B/);
  await expect(hover).toContainText('(10 s)');
  await page.mouse.move(0, 0);
  await expect(hover).toHaveCount(0);

  // The 6 h window as JSON: its non-empty buckets. The newest bucket, if
  // it was still empty when drawn, may have filled since (nothing else).
  const json = await download(page, 'json');
  const body = JSON.parse(json.text);
  expect(body.range).toBe('6h');
  const times = body.rows.map((r: { time: string }) => Date.parse(r.time));
  const newer = times.filter((tm: number) => tm > json.drawn.last);
  expect(newer.length).toBeLessThanOrEqual(1);
  expect(body.rows.length).toBe(json.drawn.points + newer.length);
  if (newer.length) expect(Math.floor(newer[0] / res)).toBe(Math.floor(json.drawn.to / res));
  for (const tm of times) {
    expect(tm).toBeGreaterThanOrEqual(json.drawn.from);
    expect(tm).toBeLessThanOrEqual(json.drawn.to);
  }
  for (const r of body.rows) expect(r.bucket_seconds).toBe(10);

  // The other ranges draw, and back to the live ones.
  for (const r of ['24h', '7d', '30d', '1h']) await pick(page, r);
  const fifteen = await pick(page, '15m');
  expect(fifteen.to - fifteen.from).toBeLessThanOrEqual(SPAN['15m']);
  // The live points went on between the ranges: 15 min holds more than 12 s of them.
  expect(fifteen.points).toBeGreaterThan(12);

  // The CSV of the 15 min window: one row per point drawn, all within it.
  const csv = await download(page, 'csv');
  const lines = csv.text.trimEnd().split('\n');
  expect(lines[0]).toBe('time,cpu_percent_of_one_core,memory_bytes,net_rx_bytes_per_second,net_tx_bytes_per_second,blk_read_bytes_per_second,blk_write_bytes_per_second,pids');
  const rows = lines.slice(1);
  expect(rows.length).toBe(csv.drawn.points);
  let previous = -Infinity;
  for (const row of rows) {
    const iso = row.split(',')[0];
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const tm = Date.parse(iso);
    expect(tm).toBeGreaterThanOrEqual(csv.drawn.from);
    expect(tm).toBeLessThanOrEqual(csv.drawn.to);
    expect(tm).toBeGreaterThan(previous);
    previous = tm;
  }
  expect(previous).toBe(csv.drawn.last);
});

test('an unknown range in the URL is 1 h; a range in the URL survives a reload', async ({ page }) => {
  await page.goto(`/containers/local/${c.id}/stats?range=2h`);
  await hydrated(page);
  await expect(page.getByTestId('range-picker').locator('[aria-current="true"]')).toHaveAttribute('data-range', '1h');
  await expect.poll(async () => (await drawn(page)).points, { timeout: 8_000 }).toBeGreaterThan(0);
  await page.goto(`/containers/local/${c.id}/stats?range=24h`);
  await hydrated(page);
  await expect(page.getByTestId('range-picker').locator('[aria-current="true"]')).toHaveAttribute('data-range', '24h');
  await expect(page.getByTestId('chart')).toHaveAttribute('data-range', '24h');
  await expect(page.getByTestId('chart')).toHaveAttribute('data-resolution', '60000');
  await expect(page.getByTestId('stats-error')).toHaveCount(0);
});
