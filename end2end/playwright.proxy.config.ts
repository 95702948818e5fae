import base from './playwright.config';
import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The container image (`make image`) behind Debian's nginx at /binnacle/.
const port = process.env.BINNACLE_PROXY_PORT ?? '3400';
export default defineConfig({
  ...base,
  testDir: './proxy',
  globalSetup: undefined,
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}`, storageState: undefined },
  webServer: {
    command: `bash ${path.join(__dirname, 'proxy', 'run.sh')}`,
    url: `http://127.0.0.1:${port}/binnacle/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
