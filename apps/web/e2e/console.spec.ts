import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM, E2E_ADMIN_PASSWORD } from '../playwright.config';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const SHOTS = join(import.meta.dirname, '..', 'test-results');

interface SimAgent {
  process: ChildProcess;
  events: Record<string, unknown>[];
  configDir: string;
}

/** Starts the simulated agent (the real link client) as its own process, pairing with `code`. */
function startSimAgent(consoleUrl: string, code: string, name: string): SimAgent {
  const configDir = mkdtempSync(join(tmpdir(), 'flock-e2e-agent-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/support/sim-agent.ts',
      '--console',
      consoleUrl,
      '--code',
      code,
      '--name',
      name,
      '--config-dir',
      configDir,
    ],
    { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    events.push(JSON.parse(line)),
  );
  return { process: child, events, configDir };
}

async function percentOf(page: Page): Promise<number> {
  const text = await page.getByTestId('machine').first().getByTestId('percent').textContent();
  return Number(text?.replace('%', '').trim());
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

  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Admin password').fill(E2E_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText('No machines yet')).toBeVisible();
  await expect(page.getByTestId('live')).toHaveText('Live');

  await page.getByRole('button', { name: 'Add machine' }).first().click();
  const code = (await page.getByTestId('pair-code').textContent()) ?? '';
  await expect(page.getByTestId('pair-command')).toHaveText(`pnpm agent pair ${baseURL} ${code}`);
  const agent = startSimAgent(baseURL ?? '', code, 'e2e-render-01');
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    const card = page.getByTestId('machine');
    await expect(card).toHaveCount(1);
    await expect(card.getByTestId('status')).toHaveText('Rendering');
    // Live, pushed progress: it moves without any reload.
    const first = await percentOf(page);
    await expect.poll(() => percentOf(page)).not.toBe(first);
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
