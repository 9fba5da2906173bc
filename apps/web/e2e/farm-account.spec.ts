import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM, E2E_ADMIN_PASSWORD } from '../playwright.config';
import { machineCard, pairingCode, shoot, startAgent } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const RENDER_KEY = 'e2e-render-key-31c9a0';

async function logIn(page: Page, base = ''): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel(/^password$/i).fill(E2E_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('live')).toHaveText('Live');
}

test('the farm account is entered once in the fleet settings and its render key never reaches the browser', async ({
  page,
}) => {
  const bodies: string[] = [];
  page.on('response', async (response) => {
    if (response.url().includes('/api/trpc/')) bodies.push(await response.text().catch(() => ''));
  });
  await logIn(page);
  await page.goto('/settings');
  const card = page.getByRole('region', { name: 'Farm account' });
  await expect(card.getByTestId('farm-account-now')).toHaveText('None set.');
  await card.getByRole('textbox', { name: 'SheepIt login' }).fill('fleet-owner');
  await card.getByLabel('Render key').fill(RENDER_KEY);
  await card.getByRole('button', { name: 'Save for the fleet' }).click();
  await expect(card.getByTestId('farm-account-now')).toContainText(
    'Set: fleet-owner, render key stored encrypted',
  );
  await expect(card.getByLabel('Render key')).toHaveValue('');
  await page.reload();
  await expect(card.getByTestId('farm-account-now')).toContainText('fleet-owner');
  await shoot(page, 'farm-account-settings', 1100);
  await expect(page.getByTestId('insecure-banner')).toHaveCount(0);

  // A machine's page says which account it renders with, and an admin can give it one of its own.
  await page.goto('/');
  const agent = startAgent(
    'sim-agent',
    page.url().replace(/\/$/, ''),
    await pairingCode(page, new URL(page.url()).origin),
    'e2e-acct-01',
  );
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    await machineCard(page, 'e2e-acct-01').getByRole('link', { name: 'e2e-acct-01' }).click();
    const machineCardOnPage = page.getByRole('region', { name: 'Farm account' });
    await expect(machineCardOnPage.getByTestId('farm-account-source')).toHaveText(
      'Renders with demo, its own account (started with --login), which wins over the console’s.',
    );
    await machineCardOnPage.getByText('An account for this machine only').click();
    await machineCardOnPage.getByRole('textbox', { name: 'SheepIt login' }).fill('render-room-2');
    await machineCardOnPage.getByLabel('Render key').fill(`${RENDER_KEY}-own`);
    await machineCardOnPage.getByRole('button', { name: 'Save for this machine' }).click();
    await expect(machineCardOnPage.getByTestId('farm-account-now')).toContainText('Set: render-room-2');
    await shoot(page, 'machine-farm-account', 1700);
  } finally {
    agent.process.kill('SIGTERM');
  }
  expect(bodies.length).toBeGreaterThan(3);
  for (const body of bodies) expect(body).not.toContain(RENDER_KEY);
});

test('a console on --insecure-http says so on every page', async ({ page }) => {
  // Beside the e2e console's port (playwright.config.ts).
  const port = Number(process.env.FLOCK_E2E_PORT ?? 3217) + 1;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'server.ts',
      '--port',
      String(port),
      '--insecure-http',
      '--data',
      mkdtempSync(join(tmpdir(), 'flock-e2e-insecure-')),
    ],
    {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, FLOCK_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD, NODE_ENV: 'production' },
      stdio: 'ignore',
    },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    await expect
      .poll(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status, { timeout: 60_000 })
      .toBe(200);
    await page.goto(`${base}/login`);
    await expect(page.getByTestId('insecure-banner')).toContainText('Not encrypted.');
    await shoot(page, 'insecure-banner-login');
    await logIn(page, base);
    await expect(page.getByTestId('insecure-banner')).toContainText('--insecure-http');
    await shoot(page, 'insecure-banner');
  } finally {
    child.kill('SIGTERM');
  }
});
