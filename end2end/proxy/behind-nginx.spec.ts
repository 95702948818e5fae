import { test, expect, dockerState, startContainer, removeContainer, hydrated } from '../tests/fixtures';

test('behind nginx at /binnacle/: log in, open a container, stop and start it, follow its log', async ({ page }) => {
  const c = startContainer('proxy');
  try {
    await page.goto('/binnacle/');
    await expect(page).toHaveURL(/\/binnacle\/login\?next=/);
    await page.getByLabel('Password').fill(process.env.BINNACLE_PROXY_PASSWORD ?? 'proxy e2e');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/binnacle\/$/);
    await hydrated(page);
    const row = page.locator(`tr[data-id="${c.id}"]`);
    await expect(row).toBeVisible();
    await row.locator('td.name a').click();
    await expect(page).toHaveURL(new RegExp(`/binnacle/containers/local/${c.id}$`));
    await expect(page.getByTestId('container-name')).toHaveText(c.name);

    await page.locator('button[data-action="stop"]').click();
    await expect(page.locator('.container-header .badge')).toHaveText('exited', { timeout: 15_000 });
    expect(dockerState(c.id)).toBe('exited');
    await page.locator('button[data-action="start"]').click();
    await expect(page.locator('.container-header .badge')).toHaveText('running', { timeout: 15_000 });
    expect(dockerState(c.id)).toBe('running');

    // A deep link reloads under the prefix, and the Stats tab talks to the server through it.
    await page.goto(`/binnacle/containers/local/${c.id}/stats`);
    await hydrated(page);
    await expect.poll(async () => Number((await page.locator('canvas.chart').getAttribute('data-points')) || '0'), { timeout: 10_000 }).toBeGreaterThan(0);

    // The Logs tab's server-sent events pass nginx as they come, not when
    // its buffer fills: a line printed every 0.3 s shows up within a second.
    const ticker = startContainer('proxy-logs', { command: "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done" });
    try {
      await page.goto(`/binnacle/containers/local/${ticker.id}/logs`);
      await hydrated(page);
      const view = page.getByTestId('log-view');
      await expect(view).toContainText('tick 1');
      const seen = async () => Number((await view.getAttribute('data-lines')) || '0');
      const before = await seen();
      await expect.poll(seen, { timeout: 1_500, intervals: [100] }).toBeGreaterThanOrEqual(before + 2);
      // And the stream itself, read directly under the prefix.
      const events = await page.evaluate(async (id) => {
        const es = new EventSource(`/binnacle/api/logs?host=local&id=${id}&tail=0`);
        const got: string[] = [];
        await new Promise<void>((resolve) => {
          es.addEventListener('hello', () => got.push('hello'));
          es.addEventListener('lines', () => { got.push('lines'); if (got.length >= 3) resolve(); });
          setTimeout(resolve, 3_000);
        });
        es.close();
        return got;
      }, ticker.id);
      expect(events.slice(0, 3)).toEqual(['hello', 'lines', 'lines']);
    } finally {
      removeContainer(ticker);
    }
  } finally {
    await page.close();
    removeContainer(c);
  }
});
