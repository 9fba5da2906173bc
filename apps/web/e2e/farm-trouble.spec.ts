import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import { logIn, machineCard, pairingCode, shoot, startAgent } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

test('machines in trouble: farm unreachable, login refused, blocks, retry now and the fleet settings', async ({
  page,
  baseURL,
}) => {
  const url = baseURL ?? '';
  await logIn(page);
  const pair = async (name: string, scenario: string) => {
    const agent = startAgent('sim-agent', url, await pairingCode(page, url), name, ['--scenario', scenario]);
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(machineCard(page, name).getByTestId('status')).toHaveText('Error');
    return agent;
  };
  const down = await pair('e2e-down-01', 'farm-unreachable');
  const old = await pair('e2e-old-02', 'login-refused');
  try {
    // Both count as in error; the card says since when and the next try, in this browser's time.
    await expect(page.getByTestId('total-in-error').locator('.value')).toHaveText('2');
    const downCard = machineCard(page, 'e2e-down-01');
    await expect(downCard.getByTestId('reason')).toContainText(/^Farm unreachable since .+, next try at .+/);
    await expect(downCard.getByTestId('reason')).not.toContainText('Headers Timeout');
    await page.getByLabel('Filter by status').selectOption('error');
    await expect(page.getByTestId('machine')).toHaveCount(2);
    await shoot(page, 'trouble-overview');

    // The machine page: headline with local times, the sentence, the raw detail folded away, blocks.
    await page.getByLabel('Filter by status').selectOption('all');
    await downCard.getByRole('link', { name: 'e2e-down-01' }).click();
    await expect(page.getByTestId('machine-name')).toHaveText('e2e-down-01');
    const reason = page.getByTestId('reason');
    await expect(reason).toContainText('The farm did not answer in time.');
    const sinceText = await reason.locator('.headline').textContent();
    expect(sinceText).toMatch(/^Farm unreachable since .+, next try at .+$/);
    expect(sinceText).not.toMatch(/\d{4}-\d\d-\d\dT/);
    await reason.getByText('Details').click();
    await expect(reason).toContainText('Headers Timeout Error');
    await expect(page.getByTestId('blocked-project')).toContainText(/Crashing smoke sim.*for this machine/);
    await shoot(page, 'trouble-machine', 1300);
    await page.getByTestId('blocked-project').getByRole('button', { name: 'Unblock', exact: true }).click();
    await expect(page.getByTestId('blocked-project')).toHaveCount(0);
    expect(down.events).toContainEqual({
      event: 'command',
      command: { type: 'unblock-project', archiveMd5: '5d41402abc4b2a76b9719d911017c592' },
    });

    // "Retry now" on the fleet's bulk bar reaches the machine.
    await page.goto('/');
    await downCard.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retry now' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Retry now: 1 of 1 done' })).toBeVisible();
    expect(down.events).toContainEqual({ event: 'command', command: { type: 'retry-now' } });

    // The refused machine points to the fleet settings; setting the version there reaches it.
    await machineCard(page, 'e2e-old-02').getByRole('link', { name: 'e2e-old-02' }).click();
    await expect(page.getByTestId('machine-name')).toHaveText('e2e-old-02');
    await expect(page.getByTestId('reason')).toContainText('client version 0.1.0 as too old');
    await shoot(page, 'trouble-login-refused', 1300);
    await page.getByRole('link', { name: 'Set the client version for the fleet' }).click();
    await expect(page.getByRole('heading', { name: 'Fleet settings' })).toBeVisible();
    const clientVersion = page.getByRole('region', { name: 'Client version' });
    await clientVersion.getByRole('textbox', { name: 'Client version' }).fill('7.1 oops');
    await clientVersion.getByRole('button', { name: 'Save for the fleet' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Not a version' })).toBeVisible();
    await clientVersion.getByRole('textbox', { name: 'Client version' }).fill('7.24086.0');
    await clientVersion.getByRole('button', { name: 'Save for the fleet' }).click();
    await expect(page.getByTestId('client-version')).toContainText('7.24086.0');
    await expect
      .poll(() => old.all('fleet-settings').at(-1))
      .toMatchObject({ settings: { clientVersion: '7.24086.0' } });
    await shoot(page, 'fleet-settings');
    await page.goto('/');
    await expect(machineCard(page, 'e2e-old-02').getByTestId('status')).toHaveText('Rendering');
  } finally {
    down.process.kill('SIGTERM');
    old.process.kill('SIGTERM');
  }
});
