import { test, expect, startContainer, removeContainer, hydrated, docker, IMAGE, TEST_LABEL, TestContainer } from './fixtures';
import type { Page } from '@playwright/test';

// Three containers of this run only (every name holds `token`): two in the
// compose project `e2e-proj-x`, one without a project and from an image of
// its own name, so a search by image finds it alone.
const token = `lsx${Math.random().toString(36).slice(2, 7)}`;
const image = `${token}img:latest`;
const PROJECT = 'e2e-proj-x';
let alpha: TestContainer;
let beta: TestContainer;
let gamma: TestContainer;

test.beforeAll(() => {
  const labels = { 'com.docker.compose.project': PROJECT };
  alpha = startContainer(`${token}-alpha`, { labels });
  beta = startContainer(`${token}-beta`, { labels });
  docker('tag', IMAGE, image);
  const name = `e2e-${token}-gamma`;
  const id = docker('run', '-d', '--label', TEST_LABEL, '--stop-timeout', '2', '--name', name, image,
    'sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done");
  gamma = { id, name };
});

test.afterAll(() => {
  [alpha, beta, gamma].filter(Boolean).forEach(removeContainer);
  try { docker('rmi', image); } catch { /* only a tag */ }
});

const shown = (page: Page) =>
  page.locator('tr[data-id]:visible').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name') ?? '').sort());
const sorted = (...cs: TestContainer[]) => cs.map((c) => c.name).sort();

test('search as you type finds by name, image and project, and Esc clears it', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const box = page.getByRole('searchbox', { name: /Search containers/ });
  // `/` goes to the search box.
  await page.keyboard.press('/');
  await expect(box).toBeFocused();
  await page.keyboard.type(`${token}-ALPHA`);
  // Letters typed there are not shortcuts: the page stays.
  await expect(page).toHaveURL(new RegExp(`[?&]q=${token}-ALPHA`));
  await expect.poll(() => shown(page)).toEqual(sorted(alpha));

  await box.fill(`${token}img`);
  await expect(page).toHaveURL(new RegExp(`[?&]q=${token}img`));
  await expect.poll(() => shown(page)).toEqual(sorted(gamma));

  // By project: the two of `e2e-proj-x` (and leftovers of other runs, none of ours besides).
  await box.fill(PROJECT);
  await expect.poll(async () => (await shown(page)).filter((n) => n.includes(token))).toEqual(sorted(alpha, beta));

  // By a fragment of the id.
  await box.fill(beta.id.slice(3, 15));
  await expect.poll(() => shown(page)).toEqual(sorted(beta));

  await box.press('Escape');
  await expect(box).toHaveValue('');
  await expect(page).toHaveURL(/\/$/);
  await expect.poll(async () => (await shown(page)).length).toBeGreaterThanOrEqual(3);

  // Nothing matching says so.
  await box.fill(`${token}-nothing`);
  await expect(page.getByTestId('no-match')).toBeVisible();
});

test('state filter, project groups that collapse, and a reload keeps all three', async ({ page }) => {
  docker('stop', beta.id);
  await page.goto(`/?q=${token}`);
  await hydrated(page);
  await expect.poll(() => shown(page)).toEqual(sorted(alpha, beta, gamma));

  const states = page.getByTestId('state-filter');
  await states.locator('a[data-state="stopped"]').click();
  await expect(page).toHaveURL(/[?&]state=stopped/);
  await expect.poll(() => shown(page)).toEqual(sorted(beta));
  await states.locator('a[data-state="running"]').click();
  await expect(page).toHaveURL(/[?&]state=running/);
  await expect.poll(() => shown(page)).toEqual(sorted(alpha, gamma));
  await states.locator('a[data-state="all"]').click();
  await expect.poll(() => shown(page)).toEqual(sorted(alpha, beta, gamma));

  await page.getByTestId('group-toggle').click();
  await expect(page).toHaveURL(/[?&]group=project/);
  const project = page.locator(`tr.project-row[data-project="${PROJECT}"] button`);
  const none = page.locator('tr.project-row[data-project=""] button');
  await expect(project).toHaveText(`${PROJECT} (2)`);
  await expect(none).toHaveText('no project (1)');

  // Collapsing hides the project's rows, and the keyboard skips them.
  await project.click();
  await expect(project).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator(`tr[data-name="${alpha.name}"]`)).toBeHidden();
  await expect(page.locator(`tr[data-name="${beta.name}"]`)).toBeHidden();
  await expect.poll(() => shown(page)).toEqual(sorted(gamma));
  await page.locator('h1').click();
  await page.keyboard.press('j');
  await expect(page.locator('tr.selected')).toHaveAttribute('data-name', gamma.name);
  await project.click();
  await expect.poll(() => shown(page)).toEqual(sorted(alpha, beta, gamma));

  // Search, state and grouping survive a reload.
  await states.locator('a[data-state="running"]').click();
  await expect(page).toHaveURL(new RegExp(`q=${token}.*state=running.*group=project`));
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('searchbox', { name: /Search containers/ })).toHaveValue(token);
  await expect(states.locator('a.active')).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('group-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect(project).toHaveText(`${PROJECT} (1)`);
  await expect.poll(() => shown(page)).toEqual(sorted(alpha, gamma));
});

test('the list call refuses a bad state, group or search by name', async ({ request }) => {
  const call = (body: object) => request.post('/api/list_containers', { data: body });
  for (const [body, field] of [[{ state: 'sleeping' }, 'state'], [{ group: 'image' }, 'group'], [{ q: 'x'.repeat(300) }, 'q']] as const) {
    const res = await call(body);
    expect(res.status()).toBe(400);
    expect((await res.json()).field).toBe(field);
  }
  // Ignoring case; the page counts only the rows that match.
  const found = await (await call({ q: token.toUpperCase(), per_page: 5 })).json();
  expect(found.containers.map((c: { name: string }) => c.name).sort()).toEqual(sorted(alpha, beta, gamma));
  expect(found.page).toMatchObject({ rows: 3, pages: 1 });
  const paused = await (await call({ q: token, state: 'paused' })).json();
  expect(paused.containers).toEqual([]);
});

test.describe('on a narrow screen', () => {
  test.use({ viewport: { width: 400, height: 800 } });

  test('the list and a container page fit 400 px without scrolling sideways', async ({ page }) => {
    await page.goto('/');
    await hydrated(page);
    const row = page.locator(`tr[data-name="${alpha.name}"]`);
    await expect(row).toBeVisible();
    for (const cell of ['td.name', 'td.state', 'td.cpu', 'td.mem']) await expect(row.locator(cell)).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);

    await page.goto(`/containers/local/${alpha.id}`);
    await hydrated(page);
    await expect(page.locator('.tabs a.active')).toHaveText('Config');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
  });
});

test('the bare container URL, by id, short id or name, marks the Config tab', async ({ page }) => {
  for (const ref of [alpha.id, alpha.id.slice(0, 12), alpha.name]) {
    await page.goto(`/containers/local/${ref}`);
    await hydrated(page);
    await expect(page.locator('.tabs a.active')).toHaveText('Config');
  }
  await page.locator('.tabs a', { hasText: 'Stats' }).click();
  await expect(page.locator('.tabs a.active')).toHaveText('Stats');
});

test.describe('the login page, logged out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });
  const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const DARK = 'rgb(17, 20, 24)';
  const LIGHT = 'rgb(246, 247, 249)';

  test('follows a dark OS setting, and the saved theme wins over it', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/login');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    expect(await background(page)).toBe(DARK);

    await page.evaluate(() => localStorage.setItem('binnacle-theme', 'light'));
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    expect(await background(page)).toBe(LIGHT);

    await page.emulateMedia({ colorScheme: 'light' });
    await page.evaluate(() => localStorage.setItem('binnacle-theme', 'dark'));
    await page.reload();
    expect(await background(page)).toBe(DARK);
  });
});
