import { existsSync } from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import { type AgentProcess, logIn, machineCard, pairingCode, shoot, startAgent } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

/** Pixels between the log box's bottom edge and its last line: 0 when it shows the newest line. */
const belowView = (log: Locator) => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

const etaSeconds = async (page: Page): Promise<number> => {
  const [, minutes = '0', seconds = 'NaN'] =
    /ETA (?:(\d+) min )?([\d.]+) s/.exec((await page.getByTestId('eta').textContent()) ?? '') ?? [];
  return Number(minutes) * 60 + Number(seconds);
};

test('the console answers favicon.ico with an icon', async ({ request }) => {
  const response = await request.get('/favicon.ico');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/^image\//);
});

test('what the login form said about the last try goes once the user edits a field', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel(/^password$/i).fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  // Next's route announcer is an alert too: the form's own is the one inside it.
  const said = page.locator('form').getByRole('alert');
  await expect(said).toBeVisible();
  await page.getByLabel(/^password$/i).fill('not the password either');
  await expect(said).toHaveCount(0);
});

test.describe('a machine as its user watches it', () => {
  const agents: AgentProcess[] = [];
  test.afterEach(() => {
    for (const agent of agents.splice(0)) agent.process.kill('SIGTERM');
  });

  const pair = async (page: Page, url: string, name: string, args: string[]) => {
    agents.push(startAgent('sim-agent', url, await pairingCode(page, url), name, args));
    await page.getByRole('button', { name: 'Done' }).click();
    // The agent is a process of its own (tsx): it can take a while to start on a busy machine.
    await expect(machineCard(page, name)).toBeVisible({ timeout: 30_000 });
  };

  test('the live log opens at its newest line, follows new ones, and waits while the user reads', async ({
    page,
    baseURL,
  }) => {
    await logIn(page);
    await pair(page, baseURL ?? '', 'e2e-log-01', ['--backlog', '45', '--step-ms', '300']);
    await machineCard(page, 'e2e-log-01').getByRole('link', { name: 'e2e-log-01' }).click();
    const log = page.getByTestId('log');
    await expect(log).toContainText('job received');
    expect(await belowView(log)).toBeLessThanOrEqual(1);
    // New lines keep it at the bottom.
    await expect(log).toContainText('Frame 1 done');
    expect(await belowView(log)).toBeLessThanOrEqual(1);

    // Scrolled up to read: new lines do not pull the view away; "Jump to newest" brings it back.
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    const jump = page.getByRole('button', { name: 'Jump to newest' });
    await expect(jump).toBeVisible();
    await expect(log).toContainText('Frame 2 done');
    expect(await log.evaluate((el) => el.scrollTop)).toBe(0);
    await shoot(page, 'log-scrolled-up', 1700);
    await jump.click();
    await expect(jump).toHaveCount(0);
    expect(await belowView(log)).toBeLessThanOrEqual(1);

    // Fields are shown and searched.
    await page.getByLabel('Search the log').fill('frame=0002');
    await expect(log.locator('div')).toHaveCount(1);
    await expect(log).toContainText('job received job=job-2 project="Classroom demo" frame=0002');
  });

  test('a frame in progress: the ETA counts down between updates, a pending pause shows, cores are bounded', async ({
    page,
    baseURL,
  }) => {
    // The agent sends a job and two progress updates, then nothing: the ETA it last sent must tick down here.
    await page.clock.install();
    await logIn(page);
    await pair(page, baseURL ?? '', 'e2e-eta-01', ['--steps', '3', '--step-ms', '3000']);
    await machineCard(page, 'e2e-eta-01').getByRole('link', { name: 'e2e-eta-01' }).click();
    await expect(page.getByTestId('percent')).toHaveText('20%', { timeout: 30_000 });
    const first = await etaSeconds(page);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeGreaterThan(15);
    await page.clock.runFor(10_000);
    const later = await etaSeconds(page);
    expect(later).toBeGreaterThanOrEqual(first - 11);
    expect(later).toBeLessThanOrEqual(first - 9);

    await page.getByRole('button', { name: 'Pause after frame' }).click();
    await expect(page.getByTestId('after-frame')).toHaveText('Pausing after this frame');
    await expect(page.getByTestId('status')).toHaveText('Rendering');
    await expect(page.getByText('Cores (1–8)')).toBeVisible();
    await shoot(page, 'machine-pausing-after-frame', 1500);

    // Resume cancels the pending pause; a second resume says there was nothing to do.
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('after-frame')).toHaveCount(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Resume: 1 was not paused' })).toBeVisible();
  });

  test('while the live feed is down the page says so and its actions are off', async ({ page, baseURL }) => {
    await logIn(page);
    await pair(page, baseURL ?? '', 'e2e-feed-01', []);
    await page.route('**/api/trpc/machines.live**', (route) => route.abort());
    await machineCard(page, 'e2e-feed-01').getByRole('link', { name: 'e2e-feed-01' }).click();
    await expect(page.getByTestId('machine-name')).toHaveText('e2e-feed-01');
    await expect(page.getByTestId('feed-down')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Pause now' })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Rename' })).toBeDisabled();
    await shoot(page, 'machine-feed-down', 1500);
    await page.unroute('**/api/trpc/machines.live**');
    await expect(page.getByTestId('feed-down')).toHaveCount(0, { timeout: 30_000 });
    await expect(page.getByRole('button', { name: 'Pause now' })).toBeEnabled();
  });

  test('bulk actions reach only the machines the list shows; limits for an offline one are queued', async ({
    page,
    baseURL,
  }) => {
    const url = baseURL ?? '';
    await logIn(page);
    await pair(page, url, 'e2e-sel-01', []);
    await pair(page, url, 'e2e-sel-02', ['--scenario', 'farm-unreachable']);
    await expect(machineCard(page, 'e2e-sel-02').getByTestId('status')).toHaveText('Error');
    for (const name of ['e2e-sel-01', 'e2e-sel-02'])
      await machineCard(page, name).getByRole('checkbox').check();
    await page.getByLabel('Filter by status').selectOption('error');
    await expect(page.getByTestId('hidden-selection')).toHaveText(
      '1 hidden machine left out (search or filter)',
    );
    await expect(page.getByRole('toolbar', { name: 'Actions on selected machines' })).toContainText(
      '1 selected',
    );
    await shoot(page, 'selection-hidden');
    await page.getByRole('button', { name: 'Retry now' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Retry now: 1 of 1 done' })).toBeVisible();
    const [renderer, troubled] = agents;
    expect(troubled?.events).toContainEqual({ event: 'command', command: { type: 'retry-now' } });
    expect(renderer?.all('command')).toEqual([]);

    // Limits sent while the machine is away are kept for it.
    troubled?.process.kill('SIGTERM');
    await expect(machineCard(page, 'e2e-sel-02')).toHaveCount(0); // filtered out once offline
    await page.getByLabel('Filter by status').selectOption('offline');
    await expect(machineCard(page, 'e2e-sel-02').getByTestId('status')).toHaveText('Offline', {
      timeout: 30_000,
    });
    await page.getByRole('button', { name: 'Limits…' }).click();
    await page.getByLabel('Cores').fill('2');
    await page.getByRole('button', { name: 'Apply limits' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: 'Limits: queued: applied when it reconnects' }),
    ).toBeVisible();
  });
});
