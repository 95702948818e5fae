import { test, expect, docker, startContainer, removeContainer, hydrated, TestContainer } from './fixtures';
import type { Page } from '@playwright/test';

// The e2e server samples the list every 3 s (BINNACLE_FLEET_INTERVAL in the config).
const INTERVAL = 3_000;
const BURN = "trap 'exit 0' TERM; while true; do :; done";

let busy: TestContainer;
let idle: TestContainer;
test.beforeEach(() => {
  busy = startContainer('fleet-busy', { command: BURN });
  idle = startContainer('fleet-idle');
});
test.afterEach(async ({ page }) => { await page.close(); removeContainer(busy); removeContainer(idle); });

const row = (page: Page, c: TestContainer) => page.locator(`tr[data-id="${c.id}"]`);
const sparkPoints = async (page: Page, c: TestContainer) =>
  Number((await row(page, c).locator('svg.spark-cpu').getAttribute('data-points')) ?? '0');

test('the live columns fill within one interval of opening the list, and the sparklines grow', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(row(page, busy).locator('td.mem .value')).toBeVisible({ timeout: INTERVAL * 1.5 });
  await expect(row(page, busy).locator('td.cpu .value')).toHaveText(/\d+(\.\d)? %/, { timeout: INTERVAL * 2.5 });
  await expect(row(page, busy).locator('td.cpu .value')).toHaveAttribute('title', /of \d+ cores/);
  const cpu = Number(await row(page, busy).locator('td.cpu').getAttribute('data-value'));
  expect(cpu).toBeGreaterThan(50);
  const before = await sparkPoints(page, busy);
  await expect.poll(() => sparkPoints(page, busy), { timeout: INTERVAL * 3 }).toBeGreaterThan(before);
  // The host's totals and pace head its group.
  await expect(page.getByTestId('fleet-line').first()).toContainText(/CPU \d+ % of \d+ cores · memory .* · sampled every 3 s/);
});

test('ordering by CPU puts the busy container first, and the order is in the URL', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(row(page, busy).locator('td.cpu .value')).toHaveText(/%/, { timeout: INTERVAL * 2.5 });
  await expect(row(page, idle).locator('td.cpu .value')).toHaveText(/%/, { timeout: INTERVAL * 2.5 });
  await page.locator('a.sort[data-sort="cpu"]').click();
  await expect(page).toHaveURL(/\?sort=cpu$/);
  const ids = async () => page.locator('tbody.host-group tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  await expect.poll(async () => { const all = await ids(); return all.indexOf(busy.id) < all.indexOf(idle.id); }).toBe(true);
  expect((await ids())[0]).toBe(busy.id);
  // It survives a reload.
  await page.reload();
  await hydrated(page);
  expect((await ids())[0]).toBe(busy.id);
});

test('a stopped container shows "—" with the reason, and its sparkline stops', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(row(page, idle).locator('td.mem .value')).toBeVisible({ timeout: INTERVAL * 1.5 });
  docker('stop', idle.id);
  await expect(row(page, idle).locator('td.cpu .missing')).toHaveText('—', { timeout: 5_000 });
  await expect(row(page, idle).locator('td.cpu .missing')).toHaveAttribute('title', 'not running');
  await expect(row(page, idle).locator('td.mem .missing')).toHaveText('—');
  await expect(row(page, idle).locator('svg.spark-cpu')).toHaveCount(0);
  await page.waitForTimeout(INTERVAL * 2);
  await expect(row(page, idle).locator('svg.spark-cpu')).toHaveCount(0);
});
