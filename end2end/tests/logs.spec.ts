import { test, expect, docker, startContainer, removeContainer, hydrated, TestContainer, TEST_LABEL, IMAGE, allowExpectedNotFound } from './fixtures';
import type { Page } from '@playwright/test';
import * as fs from 'fs';

// The Logs tab against the real engine: lines in order across a restart,
// colours and control characters, the filter, both downloads, a flood, and
// pausing by scrolling up.

let containers: TestContainer[] = [];
// Close the page first: a container removed under an open page is a 404 it would report.
test.afterEach(async ({ page }) => {
  await page.close();
  for (const c of containers) removeContainer(c);
  containers = [];
});

function start(tag: string, command: string): TestContainer {
  const c = startContainer(`logs-${tag}`, { command });
  containers.push(c);
  return c;
}

/** A container with a TTY (`docker run -t`): one stream, colours kept. */
function startTty(tag: string, command: string): TestContainer {
  const name = `e2e-logs-${tag}-${Math.random().toString(36).slice(2, 8)}`;
  const id = docker('run', '-d', '-t', '--label', TEST_LABEL, '--stop-timeout', '2', '--name', name, IMAGE, 'sh', '-c', command);
  const c = { id, name };
  containers.push(c);
  return c;
}

async function openLogs(page: Page, id: string) {
  await page.goto(`/containers/local/${id}/logs`);
  await hydrated(page);
  await expect(page.getByTestId('log-status')).not.toHaveAttribute('data-state', 'connecting');
}

const view = (page: Page) => page.getByTestId('log-view');
const attr = async (page: Page, name: string) => Number((await view(page).getAttribute(name)) ?? '-1');

interface Shown { kind: string; stream: string; text: string }

/** What the view shows, top to bottom: lines and dividers. */
async function shown(page: Page): Promise<Shown[]> {
  return view(page).evaluate((v) =>
    Array.from(v.querySelectorAll('.log-line, .log-divider')).map((el) =>
      el.classList.contains('log-divider')
        ? { kind: el.getAttribute('data-kind') ?? '', stream: '', text: el.textContent ?? '' }
        : { kind: 'line', stream: el.getAttribute('data-stream') ?? '', text: el.querySelector('.log-text')?.textContent ?? '' },
    ),
  );
}

/** The numbers of `prefix N` lines, in the order shown. */
const numbers = (rows: Shown[], prefix: string) =>
  rows.filter((r) => r.kind === 'line' && r.text.startsWith(prefix + ' ')).map((r) => Number(r.text.slice(prefix.length + 1)));

const contiguousFrom1 = (ns: number[]) => ns.length > 0 && ns.every((n, i) => n === i + 1);

const NUMBERED =
  `trap 'exit 3' TERM; i=0; while true; do i=$((i+1)); echo "line $i"; ` +
  `[ $((i%3)) = 0 ] && echo "err $i" >&2; sleep 0.2; done`;

test('numbered lines in order with stderr marked; a restart shows exit and start dividers and the count starts again', async ({ page }) => {
  const c = start('numbered', NUMBERED);
  await openLogs(page, c.id);
  await expect.poll(() => attr(page, 'data-lines'), { timeout: 10_000 }).toBeGreaterThanOrEqual(8);
  await expect(page.getByTestId('log-status')).toHaveAttribute('data-state', 'following');

  let rows = await shown(page);
  const out = numbers(rows, 'line');
  expect(contiguousFrom1(out), `stdout lines ${out}`).toBe(true);
  const err = numbers(rows, 'err');
  expect(err.length).toBeGreaterThan(0);
  expect(err.every((n, i) => n === (i + 1) * 3), `stderr lines ${err}`).toBe(true);
  for (const r of rows.filter((r) => r.kind === 'line')) expect(r.stream).toBe(r.text.startsWith('err') ? 'stderr' : 'stdout');
  await expect(view(page).locator('.log-line.stderr').first()).toHaveAttribute('data-stream', 'stderr');
  await expect(view(page).locator('.log-line .log-time').first()).toHaveText(/^\d\d:\d\d:\d\d\.\d{3}$/);

  docker('restart', '-t', '5', c.id);
  await expect(view(page).locator('.log-divider[data-kind="exit"]')).toHaveCount(1, { timeout: 15_000 });
  await expect(view(page).locator('.log-divider[data-kind="exit"]')).toHaveText(/^— exited with code 3 at \d\d:\d\d:\d\d —$/);
  await expect(view(page).locator('.log-divider[data-kind="start"]')).toHaveCount(1, { timeout: 15_000 });
  await expect(view(page).locator('.log-divider[data-kind="start"]')).toHaveText(/^— started at \d\d:\d\d:\d\d —$/);
  // Lines of the new run follow the start divider.
  await expect.poll(async () => numbers((await shown(page)).slice((await shown(page)).findIndex((r) => r.kind === 'start')), 'line').length,
    { timeout: 10_000 }).toBeGreaterThanOrEqual(3);

  rows = await shown(page);
  const exitAt = rows.findIndex((r) => r.kind === 'exit');
  const startAt = rows.findIndex((r) => r.kind === 'start');
  expect(exitAt).toBeLessThan(startAt);
  // Nothing but dividers between them.
  expect(rows.slice(exitAt, startAt + 1).every((r) => r.kind !== 'line')).toBe(true);
  const before = numbers(rows.slice(0, exitAt), 'line');
  const after = numbers(rows.slice(startAt), 'line');
  expect(contiguousFrom1(before), `before the restart: ${before}`).toBe(true);
  expect(contiguousFrom1(after), `after the restart: ${after}`).toBe(true);
  expect(before.length).toBeGreaterThanOrEqual(out.length);
  await expect(page.getByTestId('log-status')).toHaveAttribute('data-state', 'following');
});

test('a TTY container: colours drawn, escapes gone, control characters visible', async ({ page }) => {
  const c = startTty('tty',
    `printf '\\033[31mred\\033[0m plain\\n'; printf 'bell\\a here\\n'; printf '\\033]0;my title\\007after title\\n'; ` +
    `printf '\\033[1;38;5;208morange\\033[0m \\033[38;2;10;200;30mtrue\\033[0m\\n'; sleep 300`);
  await openLogs(page, c.id);
  await expect.poll(() => attr(page, 'data-lines'), { timeout: 10_000 }).toBe(4);
  const rows = await shown(page);
  expect(rows.map((r) => r.text)).toEqual(['red plain', 'bell␇ here', 'after title', 'orange true']);
  expect(rows.every((r) => r.stream === 'tty')).toBe(true);

  const red = view(page).locator('.log-line').nth(0).locator('.ansi-fg-1');
  await expect(red).toHaveText('red');
  const color = await red.evaluate((el) => getComputedStyle(el).color);
  expect(color).not.toBe(await view(page).evaluate((el) => getComputedStyle(el).color));
  await expect(view(page).locator('.ansi-ctl')).toHaveText('␇');
  // 256 colours and 24-bit colours are drawn inline; bold is a class.
  const orange = view(page).locator('.log-line').nth(3).locator('span.ansi-bold');
  await expect(orange).toHaveText('orange');
  expect(await orange.evaluate((el) => (el as HTMLElement).style.color)).toBe('rgb(255, 135, 0)');
  const truecolour = view(page).locator('.log-line').nth(3).locator('.log-text span').nth(1);
  expect(await truecolour.evaluate((el) => (el as HTMLElement).style.color)).toBe('rgb(10, 200, 30)');

  const text = (await view(page).textContent()) ?? '';
  expect(text).not.toContain('\u001b');
  expect(text).not.toContain('\u0007');
  expect(text).not.toContain('my title');
});

const WORDS = `printf 'alpha 1\\nBeta 2\\ngamma 3\\nALPHA 4\\ndelta 5\\n'; sleep 300`;

test('the filter: text with and without case, regex, an invalid regex shows every line and says why', async ({ page }) => {
  const c = start('filter', WORDS);
  await openLogs(page, c.id);
  await expect.poll(() => attr(page, 'data-lines'), { timeout: 10_000 }).toBe(5);
  await expect(page.getByTestId('log-count')).toHaveText('5 lines');
  const filter = page.getByTestId('log-filter');
  const texts = async () => (await shown(page)).map((r) => r.text);

  await filter.fill('alpha');
  await expect.poll(() => attr(page, 'data-shown')).toBe(2);
  expect(await attr(page, 'data-lines')).toBe(5);
  expect(await texts()).toEqual(['alpha 1', 'ALPHA 4']);
  await expect(page.getByTestId('log-count')).toHaveText('2 of 5 lines');

  await page.getByTestId('log-case').check();
  await expect.poll(() => attr(page, 'data-shown')).toBe(1);
  expect(await texts()).toEqual(['alpha 1']);
  await page.getByTestId('log-case').uncheck();

  await page.getByTestId('log-regex').check();
  await filter.fill('^(beta|GAMMA) \\d$');
  await expect.poll(() => attr(page, 'data-shown')).toBe(2);
  expect(await texts()).toEqual(['Beta 2', 'gamma 3']);
  await page.getByTestId('log-case').check();
  await expect.poll(() => attr(page, 'data-shown')).toBe(0);
  await page.getByTestId('log-case').uncheck();

  await filter.fill('(unclosed');
  await expect(page.getByTestId('log-filter-error')).toBeVisible();
  await expect(page.getByTestId('log-filter-error')).toContainText('Invalid regular expression');
  await expect(filter).toHaveAttribute('aria-invalid', 'true');
  await expect.poll(() => attr(page, 'data-shown')).toBe(5);

  await filter.fill('');
  await expect(page.getByTestId('log-filter-error')).toBeHidden();
  await expect.poll(() => attr(page, 'data-shown')).toBe(5);
});

test('UTC toggle: times in the browser zone by default, UTC when ticked, remembered', async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: 'Asia/Kolkata', storageState: test.info().project.use.storageState as string });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    const c = start('utc', WORDS);
    // `l` opens the tab from the container page.
    await page.goto(`/containers/local/${c.id}`);
    await hydrated(page);
    await page.keyboard.press('l');
    await expect(page).toHaveURL(new RegExp(`/containers/local/${c.id}/logs$`));
    await expect(page.locator('nav.tabs a[aria-keyshortcuts="l"]')).toHaveClass(/active/);
    await expect.poll(() => attr(page, 'data-lines'), { timeout: 10_000 }).toBe(5);
    const time = view(page).locator('.log-time').first();
    await expect(time).toHaveAttribute('title', /UTC\+05:30$/);
    const local = await time.textContent();

    await page.getByTestId('log-utc').check();
    await expect(time).toHaveAttribute('title', / UTC$/);
    const utc = await time.textContent();
    const minutes = (t: string | null) => { const [h, m] = (t ?? '').split(':').map(Number); return h * 60 + m; };
    expect((minutes(local) - minutes(utc) + 24 * 60) % (24 * 60)).toBe(330);

    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('log-utc')).toBeChecked();
    await expect(view(page).locator('.log-time').first()).toHaveAttribute('title', / UTC$/);
    await page.getByTestId('log-utc').uncheck();
    await expect(view(page).locator('.log-time').first()).toHaveAttribute('title', /UTC\+05:30$/);
    expect(await page.evaluate(() => localStorage.getItem('binnacle.logs.utc'))).toBe('false');
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('downloads: the visible lines as text, and the whole log from the server', async ({ page }) => {
  const c = start('download', WORDS);
  await openLogs(page, c.id);
  await expect.poll(() => attr(page, 'data-lines'), { timeout: 10_000 }).toBe(5);
  await page.getByTestId('log-filter').fill('alpha');
  await expect.poll(() => attr(page, 'data-shown')).toBe(2);

  const [visible] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-visible').click()]);
  expect(visible.suggestedFilename()).toBe(`${c.name}-logs.txt`);
  const lines = fs.readFileSync((await visible.path())!, 'utf8').split('\n').filter(Boolean);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z stdout alpha 1$/);
  expect(lines[1]).toMatch(/Z stdout ALPHA 4$/);

  const whole = page.getByTestId('download-whole');
  await expect(whole).toHaveAttribute('href', new RegExp(`/api/logs/download\\?host=local&id=${c.id}$`));
  const [all] = await Promise.all([page.waitForEvent('download'), whole.click()]);
  const text = fs.readFileSync((await all.path())!, 'utf8');
  const got = text.split('\n').filter(Boolean).map((l) => l.replace(/^\S+ stdout /, ''));
  expect(got).toEqual(['alpha 1', 'Beta 2', 'gamma 3', 'ALPHA 4', 'delta 5']);
});

test('scrolling up pauses following; Jump to newest and scrolling to the bottom follow again', async ({ page }) => {
  const c = start('scroll', `seq 1 300 | sed 's/^/early /'; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done`);
  await openLogs(page, c.id);
  await expect.poll(() => attr(page, 'data-lines'), { timeout: 10_000 }).toBeGreaterThan(310);
  const status = page.getByTestId('log-status');
  await expect(status).toHaveAttribute('data-state', 'following');
  const fromBottom = () => view(page).evaluate((v) => v.scrollHeight - v.scrollTop - v.clientHeight);
  expect(await fromBottom()).toBeLessThan(10);

  await view(page).hover();
  await page.mouse.wheel(0, -1500);
  await expect(status).toHaveAttribute('data-state', 'paused');
  await expect(status).toContainText(/Paused — \d+ new lines?/, { timeout: 5_000 });
  await page.waitForTimeout(500);
  expect(await fromBottom()).toBeGreaterThan(500);
  const jump = page.getByTestId('jump-newest');
  await expect(jump).toBeVisible();

  await jump.click();
  await expect(status).toHaveAttribute('data-state', 'following');
  await expect(jump).toHaveCount(0);
  await expect.poll(fromBottom).toBeLessThan(10);
  await page.waitForTimeout(500);
  expect(await fromBottom()).toBeLessThan(10);

  // Scrolling back down to the bottom follows again too.
  await view(page).hover();
  await page.mouse.wheel(0, -800);
  await expect(status).toHaveAttribute('data-state', 'paused');
  await page.mouse.wheel(0, 100_000);
  await expect(status).toHaveAttribute('data-state', 'following');
});

test('a container removed while its log is open: the log ends there and the stream is not opened again', async ({ page, consoleErrors }) => {
  const c = start('gone', `i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.2; done`);
  await openLogs(page, c.id);
  await expect.poll(() => attr(page, 'data-lines'), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
  let streams = 0;
  page.on('request', (r) => { if (r.url().includes('/api/logs?')) streams++; });
  docker('rm', '-f', c.id);
  await expect(page.getByTestId('log-status')).toHaveAttribute('data-state', 'ended', { timeout: 10_000 });
  await expect(page.getByTestId('log-status')).toHaveText('Container removed; the log ends here.');
  await expect(view(page).locator('.log-divider').last()).toHaveAttribute('data-kind', 'gone');
  const lines = await attr(page, 'data-lines');
  await page.waitForTimeout(4_000);
  expect(streams).toBe(0);
  expect(await attr(page, 'data-lines')).toBe(lines);
  // The page's details now answer 404: expected here.
  allowExpectedNotFound(consoleErrors);
});

test('an unknown container: the page says not found and the tab says there is no log', async ({ page, consoleErrors }) => {
  await page.goto(`/containers/local/${'0'.repeat(64)}/logs`);
  await hydrated(page);
  await expect(page.getByTestId('not-found')).toContainText('Container not found');
  await expect(page.getByTestId('log-status')).toHaveAttribute('data-state', 'error');
  await expect(page.getByTestId('log-status')).toContainText('No log');
  await expect(view(page).locator('.log-line')).toHaveCount(0);
  allowExpectedNotFound(consoleErrors);
});
