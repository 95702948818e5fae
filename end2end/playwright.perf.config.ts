import base from './playwright.config';
import { defineConfig } from '@playwright/test';

// `make bench-ui`: figures, not assertions. Same server and browser as the suite.
export default defineConfig({ ...base, testDir: './perf', testMatch: '**/*.perf.ts', timeout: 180_000 });
