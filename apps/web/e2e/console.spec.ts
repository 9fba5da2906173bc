import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM, E2E_ADMIN_PASSWORD } from '../playwright.config';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const SHOTS = join(import.meta.dirname, '..', 'test-results');

interface AgentProcess {
  process: ChildProcess;
  events: Record<string, unknown>[];
  configDir: string;
  /** The latest report of this kind. */
  last(event: string): Record<string, unknown> | undefined;
}

/**
 * Starts an agent as its own process, pairing with `code`: `sim-agent` (the link client with a
 * scripted agent) or `stack-agent` (the real agent against its own sandbox farm).
 */
function startAgent(
  script: 'sim-agent' | 'stack-agent',
  consoleUrl: string,
  code: string,
  name: string,
): AgentProcess {
  const configDir = mkdtempSync(join(tmpdir(), 'flock-e2e-agent-'));
  const args = ['--console', consoleUrl, '--code', code, '--name', name, '--config-dir', configDir];
  const child = spawn(process.execPath, ['--import', 'tsx', `test/support/${script}.ts`, ...args], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    events.push(JSON.parse(line)),
  );
  const last = (event: string) => events.findLast((e) => e.event === event);
  return { process: child, events, configDir, last };
}

const machineCard = (page: Page, name: string) => page.getByTestId('machine').filter({ hasText: name });

async function percentOf(page: Page, name: string): Promise<number> {
  const text = await machineCard(page, name).getByTestId('percent').textContent();
  return Number(text?.replace('%', '').trim());
}

async function logIn(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  // The user name field is prefilled with "admin" (the label was "Admin password" before there were users).
  await page.getByLabel(/^(admin )?password$/i).fill(E2E_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('live')).toHaveText('Live');
}

/** Opens "Add machine" and returns the one-time code it shows. */
async function pairingCode(page: Page, baseURL: string): Promise<string> {
  await page.getByRole('button', { name: 'Add machine' }).first().click();
  const code = (await page.getByTestId('pair-code').textContent()) ?? '';
  await expect(page.getByTestId('pair-command')).toHaveText(`pnpm agent pair ${baseURL} ${code}`);
  return code;
}

test('log in, pair an agent, watch it live, pause it, open and remove it', async ({ page, baseURL }) => {
  const apiBodies: string[] = [];
  page.on('response', async (response) => {
    if (
      !response.url().includes('/api/trpc/') ||
      response.headers()['content-type']?.includes('event-stream')
    )
      return;
    apiBodies.push(await response.text().catch(() => ''));
  });

  await logIn(page);
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

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove machine' }).click();
    await expect(page.getByText('No machines yet')).toBeVisible();
    await expect
      .poll(() => agent.events.some((e) => e.event === 'link' && e.status === 'unauthorized'))
      .toBe(true);

    const secret = JSON.parse(readFileSync(join(agent.configDir, 'console-link.json'), 'utf8'))
      .secret as string;
    expect(apiBodies.length).toBeGreaterThan(3);
    for (const body of apiBodies) {
      expect(body).not.toContain(E2E_ADMIN_PASSWORD);
      expect(body).not.toContain(secret);
    }
  } finally {
    agent.process.kill('SIGTERM');
  }
});

test('the real agent against its sandbox farm: live progress, pause after frame, limits, remove', async ({
  page,
  baseURL,
}) => {
  await logIn(page);
  const agent = startAgent(
    'stack-agent',
    baseURL ?? '',
    await pairingCode(page, baseURL ?? ''),
    'e2e-real-agent',
  );
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    const card = machineCard(page, 'e2e-real-agent');
    await expect(card.getByTestId('status')).toHaveText('Rendering', { timeout: 30_000 });
    await expect(card).toContainText('frame 1');

    // Pause after frame: the frame being rendered is finished and delivered, then no new job.
    await card.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Pause after frame' }).click();
    await expect(card.getByTestId('status')).toHaveText('Paused', { timeout: 30_000 });
    await expect.poll(() => agent.last('farm')).toEqual({ event: 'farm', done: 1, jobs: 1 });
    await page.waitForTimeout(1500);
    expect(agent.last('farm')).toEqual({ event: 'farm', done: 1, jobs: 1 });

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => agent.last('farm')?.jobs, { timeout: 30_000 }).toBe(2);

    await card.getByRole('link', { name: 'e2e-real-agent' }).click();
    await expect(page.getByTestId('machine-name')).toHaveText('e2e-real-agent');
    await page.getByLabel('Cores').fill('2');
    await page.getByRole('button', { name: 'Apply limits' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Limits: 1 of 1 done' })).toBeVisible();
    await expect.poll(() => agent.last('limits')).toEqual({ event: 'limits', cores: 2 });
    await expect(page.getByTestId('log')).not.toBeEmpty();
    await page.screenshot({ path: join(SHOTS, 'machine-real-agent.png') });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove machine' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect.poll(() => agent.last('link')?.status).toBe('unauthorized');
  } finally {
    agent.process.kill('SIGTERM');
  }
});
