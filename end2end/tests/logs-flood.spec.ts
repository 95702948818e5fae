import { test, expect, startContainer, removeContainer, hydrated, TestContainer } from './fixtures';
import type { Page } from '@playwright/test';

// The Logs tab while a container writes about 10,000 lines a second: the page
// keeps answering input and its buffer stays bounded. A file of its own:
// Playwright's trace snapshots serialise the whole DOM at every action, and
// with ten thousand lines that is what would be measured, not the page.
test.use({ trace: 'off' });

let c: TestContainer | undefined;
// Close the page first: a container removed under an open page is a 404 it would report.
test.afterEach(async ({ page }) => {
  await page.close();
  if (c) removeContainer(c);
  c = undefined;
});

const view = (page: Page) => page.getByTestId('log-view');
const attr = async (page: Page, name: string) => Number((await view(page).getAttribute(name)) ?? '-1');

// About 10,000 lines a second: 1000 lines, then a 0.1 s pause.
const FLOOD =
  'awk \'BEGIN { n = 0; while (1) { for (i = 0; i < 1000; i++) printf "flood %09d line with some text\\n", n++; fflush(); system("sleep 0.1") } }\'';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

test('a flood of 10,000 lines a second: the page keeps answering, the buffer stays bounded', async ({ page }) => {
  c = startContainer('logs-flood', { command: FLOOD });
  await page.goto(`/containers/local/${c.id}/logs`);
  await hydrated(page);
  await expect(page.getByTestId('log-status')).toHaveAttribute('data-state', 'following');
  const max = await attr(page, 'data-max-lines');
  expect(max).toBeGreaterThan(0);
  await expect(page.getByTestId('log-dropped')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('log-dropped')).toContainText('Older lines dropped');

  // Key events to the next frame (the page answers), and to the frame after
  // (the filtered view is drawn), while the flood goes on.
  await page.evaluate(() => {
    const w = window as unknown as { __next: number[]; __drawn: number[] };
    w.__next = []; w.__drawn = [];
    document.addEventListener('keydown', (e) => {
      const t0 = e.timeStamp;
      requestAnimationFrame(() => {
        w.__next.push(performance.now() - t0);
        requestAnimationFrame(() => w.__drawn.push(performance.now() - t0));
      });
    }, true);
  });
  const filter = page.getByTestId('log-filter');
  await filter.click();
  let maxLines = 0;
  for (let i = 0; i < 20; i++) {
    // "l" matches every flood line: each key redraws the whole view.
    await filter.press(i % 2 ? 'Backspace' : 'l');
    await page.waitForTimeout(150);
    maxLines = Math.max(maxLines, await attr(page, 'data-lines'));
  }
  const { next, drawn } = await page.evaluate(() => {
    const w = window as unknown as { __next: number[]; __drawn: number[] };
    return { next: w.__next, drawn: w.__drawn };
  });
  const figures = `input to next frame: median ${percentile(next, 0.5).toFixed(0)} ms, p95 ${percentile(next, 0.95).toFixed(0)} ms; ` +
    `input to filtered view drawn: median ${percentile(drawn, 0.5).toFixed(0)} ms, p95 ${percentile(drawn, 0.95).toFixed(0)} ms ` +
    `(${drawn.length} keys, ${maxLines} lines held of at most ${max})`;
  console.log(`flood: ${figures}`);
  test.info().annotations.push({ type: 'flood latency', description: figures });
  expect(next.length).toBe(20);
  expect(percentile(drawn, 0.95)).toBeLessThan(1000);
  expect(maxLines).toBeLessThanOrEqual(max);
  expect(maxLines).toBeGreaterThan(max / 2);
  await expect.poll(() => attr(page, 'data-shown')).toBe(await attr(page, 'data-lines'));

  // Still following: the newest line shown is recent.
  const newest = async () => Number(/flood (\d+)/.exec((await view(page).locator('.log-line').last().textContent()) ?? '')?.[1] ?? 0);
  const first = await newest();
  await expect.poll(newest, { timeout: 5_000 }).toBeGreaterThan(first + 1000);
});
