// The machine page's timeline with the real agent rendering real Blender frames from its own sandbox
// farm: a delivered frame's render bar, then a pause from the console as an idle span with its reason.
import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { BLENDER, CHROMIUM, E2E_FARM_PASSWORD } from '../playwright.config';
import { logIn, machineCard, pairingCode, removeEveryMachine, shoot, startAgent } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

test("the timeline shows a real frame's phases and an idle span with its reason, live", async ({
  page,
  baseURL,
}) => {
  test.skip(
    !existsSync(BLENDER),
    `no Blender at ${BLENDER}: the real agent renders with it (apt-get install blender, or set BLENDER_PATH)`,
  );
  test.setTimeout(240_000);
  await logIn(page);
  await removeEveryMachine(page, baseURL ?? '');
  const name = 'e2e-timeline';
  const code = await pairingCode(page, baseURL ?? '');
  const agent = startAgent('stack-agent', baseURL ?? '', code, name, [
    '--blender',
    BLENDER,
    '--farm-password',
    E2E_FARM_PASSWORD,
    '--frames',
    '40',
  ]);
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    await machineCard(page, name).getByRole('link', { name }).click();
    await expect(page.getByTestId('machine-name')).toHaveText(name);
    const timeline = page.getByTestId('timeline');

    // A delivered frame appears without a reload: its render bar, and its phases in order.
    const renderBar = timeline.locator('[data-kind="job"][data-lane="render"]').first();
    await expect(renderBar).toBeVisible({ timeout: 120_000 });
    // Focus is the keyboard's tap; a click can land on a neighbouring frame's bar (3 px each, 4 s a px).
    await renderBar.focus();
    const detail = page.getByTestId('timeline-detail');
    await expect(detail).toContainText(/^Frame \d+ of E2E: turning cube · Render · /);
    await expect(detail).toContainText(/\(\d+(\.\d)? s\)/);
    for (const lane of ['download', 'extract', 'upload'])
      await expect(timeline.locator(`[data-kind="job"][data-lane="${lane}"]`).first()).toBeAttached();

    // Paused from the console: the idle lane says why, in the console's words.
    await page.getByRole('button', { name: 'Pause now' }).click();
    const pausedBar = timeline.locator('[data-kind="idle"]', { hasText: 'paused by the user' }).last();
    await expect(pausedBar).toBeAttached({ timeout: 30_000 });
    await pausedBar.focus();
    await expect(detail).toContainText('Paused: paused by the user');
    await expect(detail).toContainText(', still');

    await page.getByRole('button', { name: 'Last 6 h' }).click();
    await expect(page.getByRole('button', { name: 'Last 6 h' })).toHaveAttribute('aria-pressed', 'true');
    await page.getByRole('button', { name: 'Last 1 h' }).click();
    await page.getByTestId('timeline').scrollIntoViewIfNeeded();
    await shoot(page, 'machine-timeline', 2400);
  } finally {
    agent.process.kill('SIGTERM');
  }
});
