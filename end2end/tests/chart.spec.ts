import { test, expect, docker, startContainer, removeContainer, hydrated, TestContainer } from './fixtures';
import type { Page } from '@playwright/test';

// Issue 19, "a chart you can read at a glance": the time axis over the
// range's span, grouped marker labels, a stopped container's chart and
// readouts, the legend.

let c: TestContainer;
test.beforeEach(() => { c = startContainer('chart'); });
// Close the page first: a container removed under an open page is a 404 it would report.
test.afterEach(async ({ page }) => { await page.close(); removeContainer(c); });

const chart = (page: Page) => page.locator('canvas.chart');
const attr = async (page: Page, name: string) => (await chart(page).getAttribute(name)) ?? '';
const num = async (page: Page, name: string) => Number((await attr(page, name)) || '-1');
const list = async (page: Page, name: string, sep: string) => (await attr(page, name)).split(sep).filter((s) => s !== '');

async function openStats(page: Page, query = '') {
  await page.goto(`/containers/local/${c.id}/stats${query}`);
  await hydrated(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(1);
}

test('a fresh container: the time axis spans the range, with distinct labels', async ({ page }) => {
  for (const range of ['15m', '1h']) {
    await openStats(page, `?range=${range}`);
    await expect.poll(async () => (await list(page, 'data-x-labels', '|')).length).toBeGreaterThanOrEqual(3);
    const labels = await list(page, 'data-x-labels', '|');
    expect(new Set(labels).size, labels.join(' ')).toBe(labels.length);
    expect(await num(page, 'data-points')).toBeLessThan(30);
  }
});

test('docker restart: the events close together share one label', async ({ page }) => {
  await openStats(page);
  const before = await num(page, 'data-last-seq');
  docker('restart', '-t', '2', c.id);
  await expect.poll(() => num(page, 'data-last-seq'), { timeout: 10_000 }).toBeGreaterThan(before + 1);
  await expect.poll(async () => (await list(page, 'data-marker-labels', '|')).length, { timeout: 5_000 }).toBeGreaterThan(0);
  const labels = await list(page, 'data-marker-labels', '|');
  expect(labels, labels.join(' | ')).toHaveLength(1);
  expect(labels[0]).toMatch(/×\d+|\d+ events/);

  // The hover readout lists the events behind the label.
  const x = Number((await attr(page, 'data-marker-x')).split(',')[0]);
  await chart(page).hover({ position: { x, y: 60 } });
  await expect(page.getByTestId('chart-hover')).toContainText(/Event\s*(stop|start|restart)/);
  expect(await page.getByTestId('chart-hover').locator('.hover-line', { hasText: 'Event' }).count()).toBeGreaterThanOrEqual(2);
});

test('a stopped container: its stop marker at the right edge, its readouts greyed as the last values', async ({ page }) => {
  await openStats(page);
  await expect(page.getByTestId('readouts-stale')).toHaveCount(0);
  docker('stop', c.id);
  await expect(page.getByTestId('stats-status')).toContainText('Not running', { timeout: 5_000 });
  await expect(page.getByTestId('readouts-stale')).toHaveText(/^last value, \d\d:\d\d$/);
  await expect(page.getByTestId('readouts')).toHaveClass(/stale/);
  // The stop's label (alone, or counted with a start just before it).
  await expect.poll(async () => (await list(page, 'data-marker-labels', '|')).join('|'), { timeout: 5_000 }).toMatch(/stop|\d+ events/);
  const xs = (await attr(page, 'data-marker-x')).split(',').map(Number);
  const right = Number(await page.getByTestId('chart').getAttribute('data-plot-right'));
  expect(Math.abs(xs[xs.length - 1] - right), `${xs} vs ${right}`).toBeLessThan(8);
  // Hovering the right edge names the stop.
  await chart(page).hover({ position: { x: right - 2, y: 60 } });
  await expect(page.getByTestId('chart-hover')).toContainText(/Event\s*stop \(0\)/);

  docker('start', c.id);
  await expect(page.getByTestId('readouts-stale')).toHaveCount(0, { timeout: 10_000 });
});

test('the legend names each series; hiding one by mouse or keyboard is a data hook and stays across ranges', async ({ page }) => {
  await openStats(page);
  const legend = page.getByTestId('chart-legend');
  for (const name of ['CPU', 'Memory', 'Network received', 'Network sent', 'Block read', 'Block written']) {
    await expect(legend.getByRole('button', { name, exact: true })).toHaveAttribute('aria-pressed', 'true');
  }
  const sent = legend.getByRole('button', { name: 'Network sent', exact: true });
  await sent.click();
  await expect(chart(page)).toHaveAttribute('data-hidden-series', 'net-tx');
  await expect(sent).toHaveAttribute('aria-pressed', 'false');

  // Another live range keeps what is hidden.
  await page.getByTestId('range-picker').locator('[data-range="15m"]').click();
  await expect(page.getByTestId('chart')).toHaveAttribute('data-range', '15m');
  await expect(chart(page)).toHaveAttribute('data-hidden-series', 'net-tx');

  // By keyboard: focus and Space / Enter.
  await legend.getByRole('button', { name: 'CPU', exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(chart(page)).toHaveAttribute('data-hidden-series', 'cpu,net-tx');
  await sent.focus();
  await page.keyboard.press('Space');
  await expect(chart(page)).toHaveAttribute('data-hidden-series', 'cpu');
});

test('the memory limit and the markers have their own colours in both themes', async ({ page }) => {
  await openStats(page);
  for (const theme of ['light', 'dark']) {
    const colours = await page.evaluate((t) => {
      document.documentElement.dataset.theme = t;
      const s = getComputedStyle(document.documentElement);
      const v = (n: string) => s.getPropertyValue(n).trim().toLowerCase();
      return { limit: v('--chart-limit'), marker: v('--chart-marker'), mem: v('--chart-mem'), bad: v('--bad') };
    }, theme);
    expect(colours.limit).toMatch(/^#/);
    expect(new Set(Object.values(colours)).size, JSON.stringify(colours)).toBe(4);
  }
});

test('the live ranges have a PIDs panel; the long ones, which keep no PIDs, do not', async ({ page }) => {
  await openStats(page);
  await expect(chart(page)).toHaveAttribute('data-panels', 'cpu,mem,net,io,pids');
  await expect(page.getByTestId('chart-legend').getByRole('button', { name: 'PIDs', exact: true })).toBeVisible();
  await page.getByTestId('range-picker').locator('[data-range="6h"]').click();
  await expect(page.getByTestId('chart')).toHaveAttribute('data-range', '6h');
  await expect(chart(page)).toHaveAttribute('data-panels', 'cpu,mem,net,io', { timeout: 15_000 });
  await expect(page.getByTestId('chart-legend').getByRole('button', { name: 'PIDs', exact: true })).toBeHidden();
});

test('the readout by keyboard: End shows the newest point, arrows move it, Escape hides it', async ({ page }) => {
  await openStats(page);
  await expect.poll(() => num(page, 'data-points'), { timeout: 8_000 }).toBeGreaterThan(4);
  await chart(page).focus();
  await page.keyboard.press('End');
  const hover = page.getByTestId('chart-hover');
  await expect(hover).toHaveAttribute('data-kind', 'point');
  await expect(hover).toContainText(/CPU[\s\S]*Memory[\s\S]*Network[\s\S]*Block I\/O[\s\S]*PIDs/);
  const left = async () => parseFloat((await hover.getAttribute('style'))?.match(/left:\s*([\d.]+)px/)?.[1] ?? 'NaN');
  const end = await left();
  await page.keyboard.press('Shift+ArrowLeft');
  await expect.poll(left).toBeLessThan(end);
  const tenBack = await left();
  await page.keyboard.press('ArrowRight');
  await expect.poll(left).toBeGreaterThan(tenBack);
  await expect(hover).toHaveAttribute('data-kind', 'point');
  await page.keyboard.press('Escape');
  await expect(hover).toHaveCount(0);
});
