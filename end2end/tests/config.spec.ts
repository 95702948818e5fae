import { test, expect, docker, startContainer, removeContainer, hydrated, TEST_LABEL, IMAGE, TestContainer } from './fixtures';

// A container with what people look for first: a network of its own, a
// health check, CPU and memory limits, a user, a working directory, and
// an environment variable whose value must never reach the browser.
let net: string;
let c: TestContainer;

test.beforeEach(() => {
  const suffix = Math.random().toString(36).slice(2, 8);
  net = `e2e-net-${suffix}`;
  docker('network', 'create', '--label', TEST_LABEL, net);
  const name = `e2e-config-${suffix}`;
  const id = docker(
    'run', '-d', '--label', TEST_LABEL, '--stop-timeout', '2', '--name', name,
    '--network', net,
    '--health-cmd', 'echo healthy-output; exit 0', '--health-interval', '1s',
    '--cpus', '1.5', '--memory', '64m',
    '--user', '1000', '--workdir', '/tmp',
    '--env', 'SECRET=hunter2',
    IMAGE, 'sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done",
  );
  c = { id, name };
});

// Close the page first: a container removed under an open page is a 404 it would report.
test.afterEach(async ({ page }) => {
  await page.close();
  removeContainer(c);
  try { docker('network', 'rm', net); } catch { /* already gone */ }
});

test('the Config tab shows networks, health, limits, user, workdir and image, never env values', async ({ page }) => {
  const ip = docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, c.id);
  const imageId = docker('inspect', '-f', '{{.Image}}', c.id);
  expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(imageId).toMatch(/^sha256:/);

  await page.goto(`/containers/local/${c.id}/config`);
  await hydrated(page);
  const config = page.getByTestId('config');

  const network = config.getByTestId('config-networks').locator('tbody tr', { hasText: net });
  await expect(network).toHaveCount(1);
  await expect(network).toContainText(ip);

  // The first check runs within a second or so; the page refreshes every 2 s.
  await expect(config.getByTestId('config-health-status')).toHaveText('healthy', { timeout: 15_000 });
  await expect(config.getByTestId('config-health-checks')).toContainText('healthy-output');

  await expect(config.getByTestId('config-cpu')).toHaveText('1.5 CPUs');
  await expect(config.getByTestId('config-memory')).toHaveText('64 MiB');
  await expect(config.getByTestId('config-user')).toHaveText('1000');
  await expect(config.getByTestId('config-workdir')).toHaveText('/tmp');
  await expect(config.getByTestId('config-image-id')).toHaveText(imageId);
  await expect(config.getByTestId('config-restart-count')).toHaveText('0');
  await expect(config.getByTestId('config-command')).toContainText('sh -c');

  await expect(config.getByTestId('config-env')).toContainText('SECRET');
  await expect(page.locator('body')).not.toContainText('hunter2');
  const html = await page.content();
  expect(html).not.toContain('hunter2');
});

test('a container without ports or mounts says "none" for them', async ({ page }) => {
  const plain = startContainer('config-plain');
  try {
    await page.goto(`/containers/local/${plain.id}/config`);
    await hydrated(page);
    const config = page.getByTestId('config');
    await expect(config.getByTestId('config-ports')).toHaveText('none');
    await expect(config.getByTestId('config-mounts')).toHaveText('none');
    await expect(config.locator('table[data-testid="config-ports"]')).toHaveCount(0);
    await expect(config.getByTestId('config-health')).toHaveText('No health check.');
    await expect(config.getByTestId('config-cpu')).toHaveText('no limit');
    await expect(config.getByTestId('config-memory')).toHaveText('no limit');
    // On the default bridge, with an address.
    await expect(config.getByTestId('config-networks').locator('tbody tr', { hasText: 'bridge' }))
      .toContainText(/\d+\.\d+\.\d+\.\d+/);
  } finally {
    await page.close();
    removeContainer(plain);
  }
});
