import { test, expect, hydrated, TEST_LABEL, IMAGE } from '../tests/fixtures';
import { execFileSync } from 'child_process';
import * as fs from 'fs';

const SECOND = `unix://${process.env.BINNACLE_TEST_SECOND_SOCKET ?? '/run/docker26.sock'}`;
const PIDFILE = '/run/docker26/dockerd.pid';

/** The docker CLI against the second host. */
function docker2(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: SECOND } }).trim();
}

let id = '';
let name = '';
test.beforeEach(() => {
  name = `e2e-second-${Math.random().toString(36).slice(2, 8)}`;
  id = docker2('run', '-d', '--label', TEST_LABEL, '--stop-timeout', '2', '--name', name, IMAGE, 'sh', '-c',
    "trap 'exit 0' TERM; while true; do :; done");
});
test.afterEach(async ({ page }) => {
  await page.close();
  try { docker2('rm', '-f', id); } catch { /* gone */ }
});

const group = (page: import('@playwright/test').Page, host: string) => page.locator(`tbody.host-group[data-host="${host}"]`);

test('two hosts in the list, each in its group with its state, and a host filter', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(group(page, 'local')).toBeVisible();
  await expect(group(page, 'second').locator(`tr[data-id="${id}"]`)).toBeVisible();
  await expect(group(page, 'second').getByTestId('host-line')).toContainText(/Docker 26\.\S+ over unix/);
  await expect(group(page, 'second').locator('.badge.host-up')).toHaveText('reachable');
  // The list's live numbers fill on the second host too.
  const row = group(page, 'second').locator(`tr[data-id="${id}"]`);
  await expect(row.locator('td.mem .value')).toBeVisible({ timeout: 25_000 });
  await expect(row.locator('td.cpu .value')).toHaveText(/\d+(\.\d)? %/, { timeout: 25_000 });
  // The filter shows one host alone; `h` moves to the next host.
  await page.getByTestId('host-filter').locator('a[data-host="second"]').click();
  await expect(page).toHaveURL(/\?host=second$/);
  await expect(group(page, 'local')).toHaveCount(0);
  await expect(group(page, 'second')).toBeVisible();
  await page.keyboard.press('h');
  await expect(page).toHaveURL(/\/$/);
  await page.keyboard.press('h');
  await expect(page).toHaveURL(/\?host=local$/);
  // The Hosts page names each host, how it is reached and its engine.
  await page.goto('/hosts');
  await hydrated(page);
  await expect(page.locator('table.hosts tr[data-host="second"]')).toContainText('Docker');
  await expect(page.locator('table.hosts tr[data-host="second"]')).toContainText('26.');
  // Docker 26 on this machine: its containers' cgroups are here too.
  await expect(page.locator('table.hosts tr[data-host="second"] td.source')).toHaveText(/cgroup v[12] files/);
});

test('a container on the second host: stop, start and restart from the UI, and its Stats tab draws', async ({ page }) => {
  await page.goto(`/containers/second/${id}`);
  await hydrated(page);
  const badge = page.locator('.container-header .badge');
  await expect(badge).toHaveText('running');
  await page.locator('button[data-action="stop"]').click();
  await expect(badge).toHaveText('exited', { timeout: 15_000 });
  expect(docker2('inspect', '-f', '{{.State.Status}}', id)).toBe('exited');
  await page.locator('button[data-action="start"]').click();
  await expect(badge).toHaveText('running', { timeout: 15_000 });
  const before = docker2('inspect', '-f', '{{.State.StartedAt}}', id);
  await page.locator('button[data-action="restart"]').click();
  await expect.poll(() => docker2('inspect', '-f', '{{.State.StartedAt}}', id), { timeout: 15_000 }).not.toBe(before);

  await page.goto(`/containers/second/${id}/stats`);
  await hydrated(page);
  const points = async () => Number((await page.locator('canvas.chart').getAttribute('data-points')) || '0');
  await expect.poll(points, { timeout: 10_000 }).toBeGreaterThan(2);
  const cpu = async () => Number((await page.getByTestId('cpu-readout').getAttribute('data-value')) || '0');
  await expect.poll(cpu, { timeout: 10_000 }).toBeGreaterThan(50);
});

test('the second host goes down and comes back while the list is open', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(group(page, 'second').locator(`tr[data-id="${id}"]`)).toBeVisible();
  const pid = fs.readFileSync(PIDFILE, 'utf8').trim();
  execFileSync('kill', ['-STOP', pid]);
  try {
    await expect(group(page, 'second')).toHaveAttribute('data-reachable', 'false', { timeout: 8_000 });
    await expect(group(page, 'second').getByTestId('host-line')).toContainText(/unreachable since .*: no answer in time/);
    // Its last known containers stay, greyed; the local host is untouched.
    await expect(group(page, 'second').locator(`tr[data-id="${id}"]`)).toHaveClass(/stale/);
    await expect(group(page, 'local')).toHaveAttribute('data-reachable', 'true');
  } finally {
    execFileSync('kill', ['-CONT', pid]);
  }
  await expect(group(page, 'second')).toHaveAttribute('data-reachable', 'true', { timeout: 8_000 });
  await expect(group(page, 'second').locator(`tr[data-id="${id}"]`)).not.toHaveClass(/stale/);
});
