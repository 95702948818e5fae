import base from './playwright.config';
import { defineConfig } from '@playwright/test';

// Two real hosts: the system's Docker as `local`, Docker 26 as `second`
// (`end2end/hosts/setup.sh start` runs it; `make hosts-test` does both).
const port = process.env.BINNACLE_HOSTS_E2E_PORT ?? '3200';
const baseURL = `http://127.0.0.1:${port}`;
const webServer = base.webServer as { env: Record<string, string> } & Record<string, unknown>;
export default defineConfig({
  ...base,
  testDir: './hosts',
  use: { ...base.use, baseURL },
  webServer: {
    ...webServer,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    env: {
      ...webServer.env,
      BINNACLE_LISTEN: `127.0.0.1:${port}`,
      BINNACLE_HOSTS: `second=unix://${process.env.BINNACLE_TEST_SECOND_SOCKET ?? '/run/docker26.sock'}`,
    },
  },
});
