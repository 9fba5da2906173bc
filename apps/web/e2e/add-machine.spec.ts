// "Add machine" on a phone: the one command per OS with the code filled in, whole (wrapped, never cut
// off or scrolled sideways at 390 px) and copied by its button.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import { logIn, SHOTS } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

test('"Add machine": Linux/macOS, Windows and clone commands, whole and copyable at 390 px', async ({
  page,
  baseURL,
  context,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.setViewportSize({ width: 390, height: 844 });
  await logIn(page);
  await page.getByRole('button', { name: 'Add machine' }).first().click();
  const code = (await page.getByTestId('pair-code').textContent()) ?? '';
  const command = page.getByTestId('pair-command');
  await expect(command).toHaveText(`curl -fsSL ${baseURL}/install.sh | sh -s -- ${code}`);
  expect(await command.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
  const box = await command.boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
  await page.screenshot({ path: join(SHOTS, 'add-machine-phone.png') });

  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await command.textContent());

  await page.getByRole('tab', { name: 'Windows' }).click();
  await expect(command).toHaveText(`$env:FLOCK_PAIRING_CODE='${code}'; irm ${baseURL}/install.ps1 | iex`);
  await page.getByRole('tab', { name: 'From a clone' }).click();
  await expect(command).toHaveText(`npm run agent -- pair ${baseURL} ${code}`);
});
