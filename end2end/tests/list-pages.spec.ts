import { test, expect, startContainer, removeContainer, hydrated, TestContainer } from './fixtures';
import type { Page } from '@playwright/test';

// The server cuts the list into pages; `?per_page=5` makes six containers enough.
let mine: TestContainer[] = [];
test.beforeAll(() => { mine = Array.from({ length: 6 }, (_, i) => startContainer(`page${i}`)); });
test.afterAll(() => { mine.forEach(removeContainer); });

const names = (page: Page) => page.locator('tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name') ?? ''));

test('the list comes in pages, in order across them, and a new order starts from the first', async ({ page }) => {
  await page.goto('/?sort=name&per_page=5');
  await hydrated(page);
  await expect(page.locator('tr[data-id]')).toHaveCount(5);
  const pages = page.getByTestId('pages');
  await expect(pages).toContainText(/Rows 1–5 of \d+ · page 1 of \d+/);
  await expect(pages.locator('a[rel="prev"]')).toHaveCount(0);
  const first = await names(page);
  expect([...first].sort()).toEqual(first);

  await pages.locator('a[rel="next"]').click();
  await expect(page).toHaveURL(/[?&]page=2/);
  await expect(page.getByTestId('pages')).toContainText(/Rows 6–\d+ of \d+ · page 2 of/);
  const second = await names(page);
  expect(second.length).toBeGreaterThan(0);
  expect(second[0] > first[first.length - 1]).toBe(true);
  // The page survives a reload.
  await page.reload();
  await hydrated(page);
  expect(await names(page)).toEqual(second);

  // Another order starts again from the first page, keeping the page size.
  await page.locator('a.sort[data-sort="state"]').click();
  await expect(page).toHaveURL(/\/\?per_page=5$/);
  await expect(page.getByTestId('pages')).toContainText(/Rows 1–5 of/);
});

test('the list call refuses bad arguments by name, and an unknown host is a 404', async ({ request }) => {
  const call = (body: object) => request.post('/api/list_containers', { data: body });
  for (const [body, field] of [[{ per_page: 4 }, 'per_page'], [{ page: 0 }, 'page'], [{ sort: 'size' }, 'sort']] as const) {
    const res = await call(body);
    expect(res.status()).toBe(400);
    expect((await res.json()).field).toBe(field);
  }
  const unknown = await call({ host: 'nosuch' });
  expect(unknown.status()).toBe(404);
  expect((await unknown.json()).host).toBe('nosuch');
  // Past the last page: the last page.
  const far = await (await call({ page: 100000, per_page: 5 })).json();
  expect(far.page.page).toBe(far.page.pages);
  expect(far.containers.length).toBeGreaterThan(0);
});
