import { test, expect, startContainer, removeContainer, hydrated } from './fixtures';

test('an unknown container shows a friendly not-found page', async ({ page }) => {
  await page.goto('/containers/local/does-not-exist');
  await hydrated(page);
  await expect(page.getByTestId('not-found')).toContainText('Container not found');
  await expect(page.getByTestId('not-found')).toContainText('does-not-exist');
  await page.getByRole('link', { name: 'Back to all containers' }).first().click();
  await expect(page).toHaveURL(/\/$/);
});

test('an unknown path is a 404 page', async ({ page, consoleErrors }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await hydrated(page);
  await expect(page.getByTestId('not-found')).toContainText('Page not found');
  // Chromium logs the document's own 404 status; that one is expected here.
  const own = consoleErrors.findIndex((e) => e.includes('status of 404'));
  if (own >= 0) consoleErrors.splice(own, 1);
});

test('text from Docker is shown as text, never as markup', async ({ page }) => {
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; void d.dismiss(); });
  const payload = '<img src=x onerror=alert(1)>';
  const c = startContainer('xss', { labels: { 'binnacle.note': payload } });
  try {
    await page.goto(`/containers/local/${c.id}`);
    await hydrated(page);
    await expect(page.getByTestId('config')).toContainText(payload);
    await expect(page.locator('img[src="x"]')).toHaveCount(0);
    expect(dialogs).toBe(0);
  } finally {
    removeContainer(c);
  }
});

test('the Config tab lists environment variable names, never their values', async ({ page }) => {
  const c = startContainer('env');
  try {
    // busybox image has PATH=/bin in its config
    await page.goto(`/containers/local/${c.id}/config`);
    await hydrated(page);
    await expect(page.getByTestId('config').locator('ul.env')).toContainText('PATH');
    await expect(page.getByTestId('config')).not.toContainText('/bin');
  } finally {
    removeContainer(c);
  }
});

test('the theme toggle switches and is remembered across reloads', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await hydrated(page);
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await bg();
  await page.getByRole('button', { name: /theme/i }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const dark = await bg();
  expect(dark).not.toBe(light);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await bg()).toBe(dark);
  await page.getByRole('button', { name: /theme/i }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

test('the OS dark preference is followed when nothing was picked', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(bg).toBe('rgb(17, 20, 24)');
});

test('healthz says whether the engine answers, and its version', async ({ request }) => {
  const res = await request.get('/healthz');
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.status).toBe('ok');
  expect(body.hosts[0].name).toBe('local');
  expect(body.hosts[0].reachable).toBe(true);
  expect(body.hosts[0].version).toMatch(/\d+\.\d+/);
  // The local engine's samples come from its cgroup files (v1 on this machine).
  expect(body.hosts[0].stats_source).toMatch(/^cgroup v[12] files \(network from \/proc\)$/);
});

test('the Hosts page says where each host\'s samples come from', async ({ page }) => {
  await page.goto('/hosts');
  await expect(page.locator('tr[data-host="local"] td.source')).toHaveText(/cgroup v[12] files/);
});
