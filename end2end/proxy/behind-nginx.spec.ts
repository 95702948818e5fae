import { test, expect, dockerState, startContainer, removeContainer, hydrated } from '../tests/fixtures';

test('behind nginx at /binnacle/: log in, open a container, stop and start it', async ({ page }) => {
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
  } finally {
    await page.close();
    removeContainer(c);
  }
});
