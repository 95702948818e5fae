import { request, FullConfig } from '@playwright/test';
import * as path from 'path';

export const STATE = path.join(__dirname, 'test-results', 'session.json');
export const E2E_PASSWORD = 'e2e password, not a secret';

/** Logs in once; every test starts with that session (storageState). */
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const ctx = await request.newContext({ baseURL });
  const res = await ctx.post('/login', { form: { password: E2E_PASSWORD, next: '/' }, maxRedirects: 0 });
  if (res.status() !== 303) throw new Error(`login failed: ${res.status()} ${await res.text()}`);
  await ctx.storageState({ path: STATE });
  await ctx.dispose();
}
