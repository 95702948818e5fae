import { test, expect, hydrated } from './fixtures';
import { E2E_PASSWORD } from '../global-setup';

test.describe('without a session', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('a user is sent to the login page, logs in, comes back, and logs out', async ({ page, consoleErrors }) => {
    await page.goto('/containers/local/does-not-exist');
    await expect(page).toHaveURL(/\/login\?next=/);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('login-error')).toHaveText('Wrong password.');
    await page.getByLabel('Password').fill(E2E_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/containers\/local\/does-not-exist$/);
    await hydrated(page);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto('/');
    await expect(page).toHaveURL(/\/login\?next=/);
    // Chromium logs the 401 of the wrong password as a failed resource.
    for (let i = consoleErrors.length - 1; i >= 0; i--) if (consoleErrors[i].includes('status of 401')) consoleErrors.splice(i, 1);
  });
});
