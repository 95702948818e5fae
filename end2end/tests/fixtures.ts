import { test as base, expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';

export const TEST_LABEL = 'binnacle.test=e2e';
export const IMAGE = process.env.BINNACLE_TEST_IMAGE ?? 'binnacle-busybox:latest';

/** Runs the docker CLI and returns its trimmed stdout. */
export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function dockerState(id: string): string {
  return docker('inspect', '-f', '{{.State.Status}}', id);
}

export function dockerStartedAt(id: string): string {
  return docker('inspect', '-f', '{{.State.StartedAt}}', id);
}

export interface TestContainer { id: string; name: string; }

/** A labelled busybox container that stops within a second on SIGTERM. */
export function startContainer(tag: string, opts: { labels?: Record<string, string>; command?: string } = {}): TestContainer {
  const name = `e2e-${tag}-${Math.random().toString(36).slice(2, 8)}`;
  const labels = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const command = opts.command ?? "trap 'exit 0' TERM; while true; do sleep 1; done";
  const id = docker('run', '-d', '--label', TEST_LABEL, ...labels, '--stop-timeout', '2', '--name', name, IMAGE, 'sh', '-c', command);
  return { id, name };
}

export function removeContainer(c: TestContainer) {
  try { docker('rm', '-f', c.id); } catch { /* already gone */ }
}

/** Resolves once the app is hydrated: clicks before that would be lost. */
export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]');
}

/**
 * Every test fails on any browser console error or page error (a hydration
 * panic shows up as one of these).
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    await use(errors);
    expect(errors, 'browser console errors').toEqual([]);
  }, { auto: true }],
});

/**
 * Chromium logs a failed resource for every non-2xx answer. Where a test
 * makes the app meet a 404 on purpose (a container removed under it), that
 * expected line is not an app error.
 */
export function allowExpectedNotFound(errors: string[]) {
  for (let i = errors.length - 1; i >= 0; i--) if (errors[i].includes('status of 404')) errors.splice(i, 1);
}

export { expect };
