import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import { logIn, machineCard, pairingCode, shoot, startAgent } from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

test('a killed machine raises an alert on the bell and the alerts page; evidence, acknowledge, webhooks', async ({
  page,
  baseURL,
}) => {
  const url = baseURL ?? '';
  // A local webhook receiver for "Send test".
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/flock-hook`;

  await logIn(page);
  const agent = startAgent('sim-agent', url, await pairingCode(page, url), 'e2e-alert-01');
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(machineCard(page, 'e2e-alert-01').getByTestId('status')).toHaveText('Rendering', {
      timeout: 30_000,
    });

    // Admin: a short offline delay and a webhook, through the settings card.
    await page.getByTestId('alerts-bell').click();
    await expect(page.getByRole('heading', { name: 'Alerts' })).toBeVisible();
    await page.getByRole('spinbutton', { name: 'Machine offline for more than (minutes)' }).fill('0.05');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Alert rules saved' })).toBeVisible();
    await page.getByRole('combobox', { name: /^Kind/ }).selectOption('json');
    await page.getByRole('textbox', { name: 'Name' }).fill('Local receiver');
    await page.getByRole('textbox', { name: 'URL' }).fill(hookUrl);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const webhook = page.getByTestId('webhook').filter({ hasText: 'Local receiver' });
    await expect(webhook).toContainText('http://127.0.0.1:');
    await expect(webhook).not.toContainText('flock-hook');
    await webhook.getByRole('button', { name: 'Send test' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: 'Test sent: the receiver answered 204' }),
    ).toBeVisible();
    expect(JSON.parse(received[0] ?? '{}')).toMatchObject({ type: 'test' });

    // The machine dies: the alert appears live, on the bell too, with the evidence folded away.
    agent.process.kill('SIGKILL');
    const alert = page.getByTestId('alert').filter({ hasText: 'e2e-alert-01 is offline' });
    await expect(alert).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('alerts-unread')).toHaveText('1');
    await expect(alert).toContainText('Open');
    await expect(alert).not.toContainText(/\d{4}-\d\d-\d\dT/);
    await alert.getByText('Evidence').click();
    await expect(alert.getByText('Last log lines')).toBeVisible();
    await expect(alert.locator('.logs')).toContainText('job received');
    await expect.poll(() => received.some((body) => JSON.parse(body).type === 'fired')).toBe(true);
    await shoot(page, 'alerts', 1500);

    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(alert).toContainText('acknowledged by admin');
    await expect(page.getByTestId('alerts-unread')).toHaveCount(0);
    await page.goto('/');
    await expect(page.getByTestId('alerts-bell')).toHaveAttribute('aria-label', 'Alerts: none new');
    await shoot(page, 'alerts-bell-overview');

    // The alerts page and its header's bell share one live feed.
    const feeds: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/trpc/alerts.live')) feeds.push(request.url());
    });
    await page.goto('/alerts');
    await expect(alert).toContainText('acknowledged by admin');
    await expect(page.getByTestId('alerts-bell')).toHaveAttribute('aria-label', 'Alerts: none new');
    expect(feeds).toHaveLength(1);
  } finally {
    agent.process.kill('SIGKILL');
    // Leave the shared console with the default delay for the other specs.
    await page.goto('/alerts');
    await page.getByRole('spinbutton', { name: 'Machine offline for more than (minutes)' }).fill('2');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Alert rules saved' })).toBeVisible();
    // …and without this spec's webhook (its receiver is gone).
    const ours = page.getByTestId('webhook').filter({ hasText: 'Local receiver' });
    while ((await ours.count()) > 0) {
      const before = await ours.count();
      await ours.first().getByRole('button', { name: 'Remove' }).click();
      await expect(ours).toHaveCount(before - 1);
    }
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});
