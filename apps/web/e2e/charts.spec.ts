import { existsSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import { logIn, machineCard, pairingCode, removeThisMachine, shoot, startAgent } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const MACHINE = 'e2e-charts-01';
const HISTORY_CALLS = /\/api\/trpc\/[^?]*\bhistory\.series\b/;

/**
 * The console answers `history.series` with an internal error from now on: the other procedures of a
 * batched call still get their real answers (tRPC sends one result per procedure, in path order).
 */
async function failHistorySeries(page: Page): Promise<void> {
  await page.route(HISTORY_CALLS, async (route) => {
    const procedures = new URL(route.request().url()).pathname.replace('/api/trpc/', '').split(',');
    const real = (await (await route.fetch()).json()) as unknown[];
    const error = {
      message: 'Internal server error',
      code: -32603,
      data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 },
    };
    const results = procedures.map((name, i) => (name === 'history.series' ? { error } : real[i]));
    await route.fulfill({ status: procedures.length > 1 ? 207 : 500, json: results });
  });
}

test('history charts: empty before the first connection, live with frames, an error that offers a retry', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(150_000);
  const url = baseURL ?? '';
  await logIn(page);
  // Paired, never connected: its page has nothing to chart yet and says what will appear.
  const paired = startAgent('sim-agent', url, await pairingCode(page, url), MACHINE, ['--pair-only']);
  await new Promise((resolve) => paired.process.once('exit', resolve));
  await page.getByRole('button', { name: 'Done' }).click();
  await machineCard(page, MACHINE).getByRole('link', { name: MACHINE }).click();
  await expect(page.getByTestId('machine-name')).toHaveText(MACHINE);
  const history = page.getByTestId('history');
  await expect(history.getByRole('heading', { name: 'Nothing in the last 24 h yet' })).toBeVisible();
  await expect(history).toContainText('per hour appear here once this machine comes online and renders');
  await history.scrollIntoViewIfNeeded();
  await shoot(page, 'chart-empty', 2000);

  // The same machine links and renders: the charts fill in without a reload.
  const agent = startAgent('sim-agent', url, '', MACHINE, [], paired.configDir);
  try {
    await page.evaluate(() => Object.assign(window, { e2eNoReload: true }));
    const frames = history.getByTestId('history-frames');
    await expect(frames).toHaveText(/^[1-9]\d*$/, { timeout: 60_000 });
    const first = Number(await frames.textContent());
    await expect
      .poll(async () => Number(await frames.textContent()), { timeout: 60_000 })
      .toBeGreaterThan(first);
    expect(await page.evaluate(() => 'e2eNoReload' in window)).toBe(true);
    await expect(history.locator('.chart canvas')).toHaveCount(3);
    await expect(history.getByTestId('project-share').first()).toBeVisible();
    // Axes in the viewer's time: the legend names the hovered hour in local time, never ISO.
    await expect(history).not.toContainText(/\d{4}-\d\d-\d\dT/);
    await shoot(page, 'chart-data', 2000);

    // 30 days: daily buckets.
    await history.getByRole('button', { name: '30 days' }).click();
    await expect(history.getByRole('button', { name: '30 days' })).toHaveAttribute('aria-pressed', 'true');
    await expect(history.getByText('Frames and credits per day')).toBeVisible();

    // The console does not answer: an error that says what to do, and "Try again" brings the charts back.
    await failHistorySeries(page);
    await page.reload();
    await expect(history.getByRole('heading', { name: 'Could not load the history' })).toBeVisible({
      timeout: 30_000,
    });
    await shoot(page, 'chart-error', 2000);
    await page.unroute(HISTORY_CALLS);
    await history.getByRole('button', { name: 'Try again' }).click();
    await expect(history.getByText('Frames and credits per hour')).toBeVisible();
  } finally {
    agent.process.kill('SIGTERM');
  }
  await removeThisMachine(page);
  await expect(page).toHaveURL(/\/$/);
});
