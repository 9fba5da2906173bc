import { existsSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM, E2E_ADMIN_PASSWORD } from '../playwright.config';
import { expectNoSecrets, logIn, recordApiTraffic } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const USER = 'e2e-lab-tech';
const FIRST_PASSWORD = 'lab-password-one';
const NEW_PASSWORD = 'lab-password-two';

async function logInAs(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel(/^password$/i).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

test('the admin adds a user, who logs in, changes their password and is removed', async ({ page }) => {
  const traffic = await recordApiTraffic(page);
  await logIn(page);
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByLabel('Name').fill(USER);
  await page.getByLabel('Their password (at least 10 characters)').fill(FIRST_PASSWORD);
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Added ${USER}` })).toBeVisible();
  await expect(page.getByTestId('user-row').filter({ hasText: USER })).toBeVisible();
  await logOut(page);

  // The new user sees the fleet live, but not the user list (not an admin).
  await logInAs(page, USER, FIRST_PASSWORD);
  await expect(page.getByTestId('live')).toHaveText('Live');
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByTestId('account-user')).toContainText(USER);
  await expect(page.getByRole('heading', { name: 'Users' })).toHaveCount(0);
  await page.getByLabel('Current password').fill(FIRST_PASSWORD);
  await page.getByLabel('New password (at least 10 characters)').fill(NEW_PASSWORD);
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Password changed' })).toBeVisible();
  await logOut(page);

  await logInAs(page, USER, FIRST_PASSWORD);
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  await logInAs(page, USER, NEW_PASSWORD);
  await expect(page.getByTestId('live')).toHaveText('Live');
  await logOut(page);

  // The admin removes them; their password no longer opens the console.
  await logInAs(page, 'admin', E2E_ADMIN_PASSWORD);
  await page.getByRole('link', { name: 'Account' }).click();
  page.once('dialog', (dialog) => void dialog.accept());
  await page
    .getByTestId('user-row')
    .filter({ hasText: USER })
    .getByRole('button', { name: 'Remove' })
    .click();
  await expect(page.getByTestId('user-row').filter({ hasText: USER })).toHaveCount(0);
  await logOut(page);
  await logInAs(page, USER, NEW_PASSWORD);
  await expect(page.getByRole('alert')).toBeVisible();

  expectNoSecrets(await traffic(), [E2E_ADMIN_PASSWORD, FIRST_PASSWORD, NEW_PASSWORD]);
});
