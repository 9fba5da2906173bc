import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { BLENDER, CHROMIUM, E2E_ADMIN_PASSWORD, E2E_FARM_PASSWORD } from '../playwright.config';
import {
  type AgentProcess,
  expectNoSecrets,
  logIn,
  machineCard,
  pairingCode,
  percentOf,
  recordApiTraffic,
  removeEveryMachine,
  removeThisMachine,
  SHOTS,
  startAgent,
} from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const secretOf = (agent: AgentProcess): string =>
  JSON.parse(readFileSync(join(agent.configDir, 'console-link.json'), 'utf8')).secret as string;

test('log in, pair an agent, watch it live, pause it, open and remove it', async ({ page, baseURL }) => {
  const traffic = await recordApiTraffic(page);
  await logIn(page);
  await removeEveryMachine(page, baseURL ?? '');
  await expect(page.getByText('No machines yet')).toBeVisible();
  const agent = startAgent(
    'sim-agent',
    baseURL ?? '',
    await pairingCode(page, baseURL ?? ''),
    'e2e-render-01',
  );
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    const card = machineCard(page, 'e2e-render-01');
    await expect(page.getByTestId('machine')).toHaveCount(1);
    await expect(card.getByTestId('status')).toHaveText('Rendering');
    // Live, pushed progress: it moves without any reload.
    const first = await percentOf(page, 'e2e-render-01');
    await expect.poll(() => percentOf(page, 'e2e-render-01')).not.toBe(first);
    await expect(page.getByTestId('total-online')).toContainText('1 / 1');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 }); // a phone
    await expect(card.getByTestId('status')).toBeInViewport();
    await page.screenshot({ path: join(SHOTS, 'overview-phone.png') });
    await page.setViewportSize({ width: 1280, height: 720 });

    await card.getByRole('checkbox').check();
    await page.setViewportSize({ width: 390, height: 844 }); // the actions on the selection, on a phone
    await page.screenshot({ path: join(SHOTS, 'overview-selected-phone.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByRole('button', { name: 'Pause after frame' }).click();
    await expect(card.getByTestId('status')).toHaveText('Paused');
    await expect(
      page.getByRole('status').filter({ hasText: 'Pause after frame: 1 of 1 done' }),
    ).toBeVisible();
    expect(agent.events).toContainEqual({
      event: 'command',
      command: { type: 'pause', when: 'after-frame' },
    });
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(card.getByTestId('status')).not.toHaveText('Paused');

    await card.getByRole('link', { name: 'e2e-render-01' }).click();
    await expect(page.getByTestId('machine-name')).toHaveText('e2e-render-01');
    await expect(page.getByTestId('thumbnail')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('log')).toContainText('Frame 1 done');
    await page.getByLabel('Cores').fill('3');
    await page.getByRole('button', { name: 'Apply limits' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Limits: 1 of 1 done' })).toBeVisible();
    expect(agent.events).toContainEqual({
      event: 'command',
      command: { type: 'set-limits', limits: { cores: 3 } },
    });
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: join(SHOTS, 'machine.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'machine-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    await removeThisMachine(page);
    await expect(page.getByText('No machines yet')).toBeVisible();
    await expect
      .poll(() => agent.events.some((e) => e.event === 'link' && e.status === 'unauthorized'))
      .toBe(true);
    expectNoSecrets(await traffic(), [E2E_ADMIN_PASSWORD, secretOf(agent)]);
  } finally {
    agent.process.kill('SIGTERM');
  }
});

/** What the progress bar of a machine's card says (phase, frame, percent); '' between jobs. */
async function progressOf(page: Page, name: string): Promise<string> {
  const bar = machineCard(page, name).getByRole('progressbar');
  if ((await bar.count()) === 0) return '';
  return `${await bar.getAttribute('aria-label')} ${await bar.getAttribute('aria-valuenow')}`;
}

test('the real agent rendering with Blender: live progress, pause after frame, resume, cores on the wire, remove', async ({
  page,
  baseURL,
}) => {
  test.skip(
    !existsSync(BLENDER),
    `no Blender at ${BLENDER}: the real-agent test renders with it (apt-get install blender, or set BLENDER_PATH)`,
  );
  test.setTimeout(240_000);
  const traffic = await recordApiTraffic(page);
  await logIn(page);
  const name = 'e2e-real-agent';
  const code = await pairingCode(page, baseURL ?? '');
  const agent = startAgent('stack-agent', baseURL ?? '', code, name, [
    '--blender',
    BLENDER,
    '--farm-password',
    E2E_FARM_PASSWORD,
  ]);
  const requests = () => agent.all('job-request');
  const farm = () => agent.last('farm') as { assigned: number[]; validated: number[] } | undefined;
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    const card = machineCard(page, name);
    await expect(card.getByTestId('status')).toHaveText('Rendering', { timeout: 90_000 });
    // Live progress, pushed: it moves while this page stays loaded (the marker survives).
    await page.evaluate(() => Object.assign(window, { e2eNoReload: true }));
    await expect.poll(() => progressOf(page, name), { timeout: 60_000 }).not.toBe('');
    const first = await progressOf(page, name);
    await expect.poll(() => progressOf(page, name), { timeout: 60_000 }).not.toBe(first);
    expect(await page.evaluate(() => 'e2eNoReload' in window)).toBe(true);
    await expect(card.getByTitle('Whole-machine CPU load')).toContainText(/^\d+% CPU$/);
    await page.screenshot({ path: join(SHOTS, 'overview-real-agent.png'), fullPage: true });

    // Pause after frame: the frame being rendered is finished and validated, then no job request.
    await expect.poll(() => farm()?.assigned.length ?? 0, { timeout: 60_000 }).toBeGreaterThan(0);
    const inProgress = farm()?.assigned ?? [];
    await card.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Pause after frame' }).click();
    await expect(card.getByTestId('status')).toHaveText('Paused', { timeout: 60_000 });
    await expect.poll(() => farm()?.assigned, { timeout: 30_000 }).toEqual([]);
    expect(farm()?.validated).toEqual(expect.arrayContaining(inProgress));
    const whilePaused = requests().length;
    await page.waitForTimeout(3_000);
    expect(requests()).toHaveLength(whilePaused);

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => requests().length, { timeout: 30_000 }).toBeGreaterThan(whilePaused);
    await expect(card.getByTestId('status')).not.toHaveText('Paused');

    // Cores from the machine page: the agent's next job request carries them (as the farm saw it).
    expect(requests()[0]).toMatchObject({ cores: 4, computeMethod: 1 });
    await card.getByRole('link', { name }).click();
    await expect(page.getByTestId('machine-name')).toHaveText(name);
    await page.getByLabel('Cores').fill('1');
    await page.getByRole('button', { name: 'Apply limits' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Limits: 1 of 1 done' })).toBeVisible();
    await expect.poll(() => agent.last('limits')?.cores).toBe(1);
    const before = Number(agent.last('limits')?.requestsBefore);
    await expect.poll(() => requests().length, { timeout: 60_000 }).toBeGreaterThan(before);
    expect(requests()[before]).toMatchObject({ cores: 1 });
    await expect(page.getByTestId('thumbnail')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('log')).not.toBeEmpty();
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: join(SHOTS, 'machine-real-agent.png') });

    await removeThisMachine(page);
    await expect(page).toHaveURL(/\/$/);
    await expect.poll(() => agent.last('link')?.status).toBe('unauthorized');
    expectNoSecrets(await traffic(), [E2E_ADMIN_PASSWORD, E2E_FARM_PASSWORD, secretOf(agent)]);
  } finally {
    agent.process.kill('SIGTERM');
  }
});
