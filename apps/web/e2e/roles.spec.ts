import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { CHROMIUM, E2E_ADMIN_PASSWORD } from '../playwright.config';
import {
  addUser,
  logIn,
  logInAs,
  logOut,
  machineCard,
  pairingCode,
  removeThisMachine,
  shoot,
  startAgent,
} from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const MACHINE = 'e2e-roles-01';
const PASSWORD = 'a role test password';

test('a viewer sees the fleet but cannot pause; an operator pauses and the audit page says so', async ({
  page,
  baseURL,
}) => {
  await logIn(page);
  const agent = startAgent('sim-agent', baseURL ?? '', await pairingCode(page, baseURL ?? ''), MACHINE);
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    // The agent is a separate node process: on a busy machine it can take a while to start and pair.
    await expect(machineCard(page, MACHINE).getByTestId('status')).toHaveText('Rendering', {
      timeout: 30_000,
    });
    await expect(page.getByTestId('role')).toHaveText('Admin');
    await page.getByRole('link', { name: 'Account' }).click();
    await addUser(page, 'e2e-viewer', PASSWORD, 'Viewer');
    await addUser(page, 'e2e-operator', PASSWORD, 'Operator');
    await expect(page.getByRole('combobox', { name: 'Role of e2e-viewer' })).toHaveValue('viewer');
    await logOut(page);

    // The viewer: the fleet, live, but no working control and no audit.
    await logInAs(page, 'e2e-viewer', PASSWORD);
    await expect(page.getByTestId('role')).toHaveText('Viewer');
    const card = machineCard(page, MACHINE);
    await expect(card.getByTestId('status')).toHaveText('Rendering');
    await expect(page.getByRole('button', { name: 'Add machine' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Audit' })).toHaveCount(0);
    await card.getByRole('checkbox').check();
    const pause = page.getByRole('button', { name: 'Pause now' });
    await expect(pause).toBeDisabled();
    await expect(pause).toHaveAttribute('title', /operator role/);
    await shoot(page, 'roles-viewer-fleet');
    await card.getByRole('link').first().click();
    await expect(page.getByTestId('machine-name')).toHaveText(MACHINE);
    await expect(page.getByRole('button', { name: 'Pause now' })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Rename' })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Remove machine' })).toBeDisabled();
    await shoot(page, 'roles-viewer-machine');
    await logOut(page);

    // The operator pauses it from the machine's page.
    await logInAs(page, 'e2e-operator', PASSWORD);
    await expect(page.getByTestId('role')).toHaveText('Operator');
    await machineCard(page, MACHINE).getByRole('link').first().click();
    await page.getByRole('button', { name: 'Pause now' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Pause now: 1 of 1 done' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Remove machine' })).toBeDisabled();
    const machineAudit = page.getByRole('region', { name: 'Audit' }).getByTestId('audit-row');
    await expect(machineAudit.first()).toContainText('e2e-operator');

    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Audit' })).toBeVisible();
    const row = page.getByTestId('audit-row').filter({ hasText: 'pause' }).first();
    await expect(row).toContainText('e2e-operator');
    await expect(row).toContainText('Command');
    await expect(row).toContainText(MACHINE);
    await expect(row).toContainText('1 acked');
    // Each filter: every row listed matches it (an empty list while loading does not count).
    const everyRow = (testId: string, matches: (text: string) => boolean) =>
      expect
        .poll(async () => {
          const cells = await page.getByTestId(testId).allTextContents();
          return cells.length > 0 && cells.every(matches);
        })
        .toBe(true);
    await page.getByLabel('User').selectOption('admin');
    await everyRow('audit-who', (who) => who === 'admin');
    await expect(
      page.getByTestId('audit-row').filter({ hasText: 'Added a user' }).filter({ hasText: 'e2e-viewer' }),
    ).toHaveCount(1);
    await page.getByLabel('User').selectOption('');
    await page.getByLabel('Machine').selectOption({ label: MACHINE });
    await everyRow('audit-machines', (machines) => machines.includes(MACHINE));
    await expect(page.getByTestId('audit-who')).toHaveText(['e2e-operator']);
    await page.getByLabel('Machine').selectOption('');
    await shoot(page, 'roles-audit');
    await logOut(page);
  } finally {
    agent.process.kill('SIGTERM');
  }

  // Leave the console as the other specs expect it: no machine.
  await logInAs(page, 'admin', E2E_ADMIN_PASSWORD);
  await machineCard(page, MACHINE).getByRole('link').first().click();
  await removeThisMachine(page);
  await expect(page).toHaveURL(/\/$/);
});
