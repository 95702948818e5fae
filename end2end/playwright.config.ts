import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The suite runs against the release build (a broken wasm-opt only shows up
// there) and a real Docker engine. `make test` sets BINNACLE_BIN and
// BINNACLE_SITE_ROOT; run standalone, it reuses a server already on the port.
const port = process.env.BINNACLE_E2E_PORT ?? '3100';
const baseURL = `http://127.0.0.1:${port}`;
const root = path.resolve(__dirname, '..');
const bin = process.env.BINNACLE_BIN ?? path.join(process.env.HOME ?? '/root', '.cache/binnacle/target/release/binnacle');
const siteRoot = process.env.BINNACLE_SITE_ROOT ?? path.join(root, 'target/site');

export default defineConfig({
  testDir: './tests',
  globalSetup: require.resolve('./global-setup'),
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    storageState: path.join(__dirname, 'test-results', 'session.json'),
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: bin,
    cwd: root,
    url: `${baseURL}/healthz`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      BINNACLE_LISTEN: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      LEPTOS_ENV: 'PROD',
      BINNACLE_LOG: 'info',
      BINNACLE_AUTH: 'password',
      BINNACLE_PASSWORD: 'e2e password, not a secret',
      // The list's numbers every 3 s, so the fleet tests wait less.
      BINNACLE_FLEET_INTERVAL: '3s',
    },
  },
});
