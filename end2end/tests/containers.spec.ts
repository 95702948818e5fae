import { test, expect, docker, dockerState, dockerStartedAt, startContainer, removeContainer, hydrated, TestContainer } from './fixtures';

let c: TestContainer;

test.beforeEach(() => { c = startContainer('ui'); });
// Close the page first: a container removed under an open page is a 404 it would report.
test.afterEach(async ({ page }) => { await page.close(); removeContainer(c); });

test('the list shows a container the test started, and it opens', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const row = page.locator(`tr[data-id="${c.id}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('td.name a')).toHaveText(c.name);
  await expect(row.locator('.badge')).toHaveText('running');
  await expect(row.locator('td.image')).toHaveText(/binnacle-busybox/);
  await row.locator('td.name a').click();
  await expect(page).toHaveURL(new RegExp(`/containers/local/${c.id}$`));
  await expect(page.getByTestId('container-name')).toHaveText(c.name);
  await expect(page.getByTestId('config')).toContainText('Restart policy');
});

test('stop, start and restart from the UI, and docker agrees', async ({ page }) => {
  await page.goto(`/containers/local/${c.id}`);
  await hydrated(page);
  await expect(page.locator('.container-header .badge')).toHaveText('running');

  await page.locator('button[data-action="stop"]').click();
  await expect(page.locator('.container-header .badge')).toHaveText('exited', { timeout: 15_000 });
  await expect(page.getByTestId('state-line')).toContainText('exited with code 0');
  expect(dockerState(c.id)).toBe('exited');

  await page.locator('button[data-action="start"]').click();
  await expect(page.locator('.container-header .badge')).toHaveText('running', { timeout: 15_000 });
  expect(dockerState(c.id)).toBe('running');

  const before = dockerStartedAt(c.id);
  await page.locator('button[data-action="restart"]').click();
  await expect.poll(() => dockerStartedAt(c.id), { timeout: 15_000 }).not.toBe(before);
  await expect(page.locator('.container-header .badge')).toHaveText('running');
  expect(dockerState(c.id)).toBe('running');
  await expect(page.getByTestId('action-error')).toHaveCount(0);
});

test('pause and unpause from the UI, and docker agrees', async ({ page }) => {
  await page.goto(`/containers/local/${c.id}`);
  await hydrated(page);
  await expect(page.locator('.container-header .badge')).toHaveText('running');
  await expect(page.locator('button[data-action="unpause"]')).toBeDisabled();
  await page.locator('button[data-action="pause"]').click();
  await expect(page.locator('.container-header .badge')).toHaveText('paused', { timeout: 15_000 });
  expect(dockerState(c.id)).toBe('paused');
  await expect(page.locator('button[data-action="pause"]')).toBeDisabled();
  await page.locator('button[data-action="unpause"]').click();
  await expect(page.locator('.container-header .badge')).toHaveText('running', { timeout: 15_000 });
  expect(dockerState(c.id)).toBe('running');
  await expect(page.getByTestId('action-error')).toHaveCount(0);
});

test('remove from the UI: a confirmation naming it, refused while running unless forced, then gone', async ({ page, consoleErrors }) => {
  await page.goto(`/containers/local/${c.id}`);
  await hydrated(page);
  await page.locator('button[data-action="remove"]').click();
  const dialog = page.getByTestId('remove-dialog');
  await expect(dialog).toContainText(`Remove container ${c.name}?`);
  // Without force, Docker refuses a running container, in words; nothing is removed.
  await page.getByTestId('remove-confirm').click();
  await expect(page.getByTestId('remove-error')).toContainText(/running/i, { timeout: 10_000 });
  expect(dockerState(c.id)).toBe('running');
  // That refusal is a 409 on purpose, which Chromium logs: exactly one, not an app error.
  const refused = consoleErrors.findIndex((e) => e.includes('status of 409'));
  expect(refused).toBeGreaterThanOrEqual(0);
  consoleErrors.splice(refused, 1);
  // The dialog survives the page's refreshes; forced, the container goes and the list shows.
  await page.waitForTimeout(2_500);
  await page.getByTestId('remove-force').check();
  await page.getByTestId('remove-volumes').check();
  await page.getByTestId('remove-confirm').click();
  await expect(page).toHaveURL(/\/$/, { timeout: 15_000 });
  expect(() => dockerState(c.id)).toThrow();
});

test('a container stopped with the docker CLI changes state in the open page without reload', async ({ page }) => {
  await page.goto(`/containers/local/${c.id}`);
  await hydrated(page);
  await expect(page.locator('.container-header .badge')).toHaveText('running');
  docker('stop', c.id);
  await expect(page.locator('.container-header .badge')).toHaveText('exited', { timeout: 3_500 });
  docker('start', c.id);
  await expect(page.locator('.container-header .badge')).toHaveText('running', { timeout: 3_500 });
});

test('the list follows docker CLI changes without reload', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const row = page.locator(`tr[data-id="${c.id}"]`);
  await expect(row.locator('.badge')).toHaveText('running');
  docker('stop', c.id);
  await expect(row.locator('.badge')).toHaveText('exited', { timeout: 3_500 });
  const late = startContainer('late');
  try {
    await expect(page.locator(`tr[data-id="${late.id}"]`)).toBeVisible({ timeout: 3_500 });
  } finally {
    removeContainer(late);
  }
});

test('keyboard: j/k move, Enter opens, Esc comes back', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(page.locator('tr.selected')).toHaveCount(1);
  const rows = page.locator('table.containers tbody tr');
  const count = await rows.count();
  // Walk down to our container (running containers come first).
  for (let i = 0; i < count; i++) {
    if ((await page.locator('tr.selected').getAttribute('data-id')) === c.id) break;
    await page.keyboard.press('j');
  }
  await expect(page.locator('tr.selected')).toHaveAttribute('data-id', c.id);
  if (count > 1) {
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('k');
    await expect(page.locator('tr.selected')).toHaveAttribute('data-id', c.id);
  }
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/containers/local/${c.id}$`));
  await expect(page.getByTestId('container-name')).toHaveText(c.name);
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('table.containers')).toBeVisible();
});

test('keyboard actions: Shift+X/S/R/P/D act through their buttons, ? lists every key', async ({ page }) => {
  await page.goto(`/containers/local/${c.id}`);
  await hydrated(page);
  const badge = page.locator('.container-header .badge');
  await expect(badge).toHaveText('running');

  // A plain letter changes nothing; Shift+P pauses, again unpauses.
  await page.keyboard.press('p');
  await page.keyboard.press('Shift+P');
  await expect(badge).toHaveText('paused', { timeout: 15_000 });
  expect(dockerState(c.id)).toBe('paused');
  await page.keyboard.press('Shift+P');
  await expect(badge).toHaveText('running', { timeout: 15_000 });

  const before = dockerStartedAt(c.id);
  await page.keyboard.press('Shift+R');
  await expect.poll(() => dockerStartedAt(c.id), { timeout: 15_000 }).not.toBe(before);
  await expect(badge).toHaveText('running');

  await page.keyboard.press('Shift+X');
  await expect(badge).toHaveText('exited', { timeout: 15_000 });
  expect(dockerState(c.id)).toBe('exited');
  // Stop is disabled now: pressing it again does nothing (no error shown).
  await page.keyboard.press('Shift+X');
  await page.keyboard.press('Shift+S');
  await expect(badge).toHaveText('running', { timeout: 15_000 });
  expect(dockerState(c.id)).toBe('running');
  await expect(page.getByTestId('action-error')).toHaveCount(0);

  // Remove asks first, and Cancel leaves it be.
  await page.keyboard.press('Shift+D');
  await expect(page.getByTestId('remove-dialog')).toContainText(c.name);
  await page.getByTestId('remove-dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('remove-dialog')).toHaveCount(0);
  expect(dockerState(c.id)).toBe('running');

  // ? lists every shortcut; Esc closes the list without leaving the page.
  await page.keyboard.press('?');
  const help = page.getByTestId('keys-help');
  for (const key of ['Shift+S', 'Shift+X', 'Shift+R', 'Shift+P', 'Shift+D', 'j / ↓', 'l']) await expect(help).toContainText(key);
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`/containers/local/${c.id}$`));
  // With the list closed, Esc goes back to the list as before.
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(/\/$/);
});

test('after a stop from the UI, the buttons change with the badge, never before it', async ({ page }) => {
  await page.goto(`/containers/local/${c.id}`);
  await hydrated(page);
  await expect(page.locator('.container-header .badge')).toHaveText('running');
  // Every frame: the badge and whether Stop can be pressed, until the badge says exited.
  const watch = page.evaluate(() => new Promise<string[]>((resolve) => {
    const seen: string[] = [];
    const t0 = performance.now();
    const tick = () => {
      const badge = document.querySelector('.container-header .badge')?.textContent?.trim() ?? '';
      const stop = document.querySelector('.container-header button[data-action="stop"]') as HTMLButtonElement | null;
      const state = `${badge}/${stop && !stop.disabled ? 'stop-enabled' : 'stop-disabled'}`;
      if (seen[seen.length - 1] !== state) seen.push(state);
      if (badge === 'exited' || performance.now() - t0 > 15_000) resolve(seen); else requestAnimationFrame(tick);
    };
    tick();
  }));
  await page.locator('button[data-action="stop"]').click();
  const states = await watch;
  expect(states[0]).toBe('running/stop-enabled');
  // Stop never comes back while the badge still says running.
  expect(states.slice(1)).not.toContain('running/stop-enabled');
  expect(states[states.length - 1]).toBe('exited/stop-disabled');
});
