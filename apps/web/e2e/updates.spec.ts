// The Updates panel and the confirmation dialogs, on a desktop (1280) and a phone (390): three
// simulated machines that say they are an installed build, an Update rolled out to the first.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import {
  type AgentProcess,
  logIn,
  machineCard,
  pairingCode,
  removeEveryMachine,
  SHOTS,
  startAgent,
} from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const OLD_BUILD = '0.0.9-0123456789ab';
const NAMES = ['render-01', 'render-02', 'render-03'];

test('Update asks first, then rolls out to one machine before the others; Stop asks first', async ({
  page,
  baseURL,
}) => {
  await logIn(page);
  await removeEveryMachine(page, baseURL ?? '');
  const agents: AgentProcess[] = [];
  try {
    for (const name of NAMES) {
      const code = await pairingCode(page, baseURL ?? '');
      agents.push(startAgent('sim-agent', baseURL ?? '', code, name, ['--version-id', OLD_BUILD]));
      await page.getByRole('button', { name: 'Done' }).click();
      await expect(machineCard(page, name)).toBeVisible({ timeout: 30_000 }); // tsx starting up
    }
    const panel = page.getByRole('region', { name: 'Updates' });
    await expect(panel).toBeVisible();
    await panel.getByRole('button', { name: 'Update' }).click();
    const dialog = page.getByRole('alertdialog');
    await expect(dialog).toContainText(/Update 3 machines to \d/);
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.screenshot({ path: join(SHOTS, 'update-confirm.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'update-confirm-phone.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await dialog.getByRole('button', { name: /^Update to / }).click();

    // The first machine (by name) gets it; the others wait until it is back on the new version.
    const rollout = panel.getByRole('region', { name: 'Last roll-out' });
    await expect(rollout).toContainText('render-01 (first) from 0.1.0-sim: updating since');
    await expect(rollout).toContainText('render-02 from 0.1.0-sim: pending');
    await expect
      .poll(() => agents[0]?.all('command').map((e) => (e.command as { type: string }).type))
      .toContain('update');
    expect(agents[1]?.all('command')).toEqual([]);
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'updates-panel.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'updates-panel-phone.png') });

    // Cancel asks first; the machines not yet sent the update keep their version.
    await page.setViewportSize({ width: 1280, height: 720 });
    await panel.getByRole('button', { name: 'Cancel roll-out' }).click();
    await expect(page.getByRole('alertdialog')).toContainText('Cancel the roll-out?');
    await page
      .getByRole('alertdialog')
      .getByRole('button', { name: 'Cancel the roll-out', exact: true })
      .click();
    await expect(rollout).toContainText('cancelled by admin at');
    await expect(rollout).toContainText(
      'render-02 from 0.1.0-sim: not updated: admin cancelled the roll-out',
    );
    await expect(panel.getByRole('button', { name: 'Cancel roll-out' })).toHaveCount(0);
    await panel.screenshot({ path: join(SHOTS, 'updates-cancelled.png') });
    expect(agents[1]?.all('command')).toEqual([]);

    // The first machine's page says what it is doing with the update.
    await page.setViewportSize({ width: 1280, height: 720 });
    await machineCard(page, 'render-01').getByRole('link', { name: 'render-01' }).click();
    const agentCard = page.getByRole('region', { name: 'Agent' });
    await expect(agentCard.getByTestId('last-update')).toContainText(
      'restarting into 0.1.0 after the current frame',
    );
    await expect(agentCard).toContainText('restarted and updated by systemd');
    await agentCard.scrollIntoViewIfNeeded();
    await agentCard.screenshot({ path: join(SHOTS, 'machine-agent-card.png') });
    await page.goBack();
    await page.setViewportSize({ width: 390, height: 844 });

    // Stop asks first too (on the machine's page, on a phone).
    await machineCard(page, 'render-02').getByRole('link', { name: 'render-02' }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(page.getByRole('alertdialog')).toContainText('Stop this machine?');
    await page.screenshot({ path: join(SHOTS, 'stop-confirm-phone.png') });
    await page.getByRole('alertdialog').getByRole('button', { name: 'Stop this machine' }).click();
    await expect(page.getByTestId('status').first()).toHaveText(/Stopped/);
    await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeVisible();
  } finally {
    for (const agent of agents) agent.process.kill('SIGTERM');
  }
});
