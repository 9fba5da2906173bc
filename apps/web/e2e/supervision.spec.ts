// Issue 13's "done when", end to end with real Blender: the machine page charts the frames the real
// agent just rendered; killing the agent posts "offline" to a local webhook receiver within the
// configured delay and "resolved" once it is back; a viewer's pause is refused by the server; the
// audit list shows the operator who paused.
//
// The console is the one Playwright starts (server.ts, as `npm start` runs it) and the agent is the
// real agent with its own sandbox farm (test/support/stack-agent.ts), rather than `npm start` itself:
// `npm start` rebuilds the console into the folder the Playwright console serves from, and its
// supervisor restarts a killed agent after a second, before any offline delay could pass.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, type Page, test } from '@playwright/test';
import { BLENDER, CHROMIUM, E2E_ADMIN_PASSWORD, E2E_FARM_PASSWORD } from '../playwright.config';
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

const MACHINE = 'e2e-supervised';
const PASSWORD = 'a supervision test password';
const VIEWER = 'e2e-sup-viewer';
const OPERATOR = 'e2e-sup-operator';
/** The offline rule's delay for this test: 3 s. */
const OFFLINE_MINUTES = 0.05;

interface WebhookPost {
  type: string;
  alert?: { machineName: string; rule: string };
}

/** A local HTTP server that records every JSON body posted to it. */
async function startReceiver(): Promise<{ server: Server; url: string; posts: WebhookPost[] }> {
  const posts: WebhookPost[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      posts.push(JSON.parse(body) as WebhookPost);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, posts };
}

/** Calls a tRPC procedure as the page's logged-in user; returns the HTTP status and the JSON body. */
async function trpc(page: Page, baseURL: string, path: string, input?: unknown) {
  const headers = { origin: baseURL, 'content-type': 'application/json' };
  const response =
    input === undefined
      ? await page.request.get(`${baseURL}/api/trpc/${path}`, { headers })
      : await page.request.post(`${baseURL}/api/trpc/${path}`, { headers, data: input });
  return { status: response.status(), body: await response.json() };
}

/** Sets the offline rule's delay (minutes) through the admin's settings API. */
async function setOfflineDelay(page: Page, baseURL: string, minutes: number): Promise<void> {
  const settings = await trpc(page, baseURL, 'alerts.settings');
  expect(settings.status).toBe(200);
  const { rules } = settings.body.result.data;
  const saved = await trpc(page, baseURL, 'alerts.saveSettings', {
    rules: { ...rules, offline: { enabled: true, minutes } },
  });
  expect(saved.status).toBe(200);
}

const postsOf = (posts: WebhookPost[], type: string) =>
  posts.filter(
    (post) => post.type === type && post.alert?.machineName === MACHINE && post.alert.rule === 'offline',
  );

test('done when: frames charted, offline and resolved posted, a viewer refused, the pause audited', async ({
  page,
  baseURL,
}) => {
  test.skip(
    !existsSync(BLENDER),
    `!!! no Blender at ${BLENDER}: this test renders with it (apt-get install blender, or set BLENDER_PATH)`,
  );
  test.setTimeout(300_000);
  const url = baseURL ?? '';
  const receiver = await startReceiver();
  const agentArgs = ['--blender', BLENDER, '--farm-password', E2E_FARM_PASSWORD];
  await logIn(page);
  let agent = startAgent('stack-agent', url, await pairingCode(page, url), MACHINE, agentArgs);
  let webhookId: string | undefined;
  try {
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(machineCard(page, MACHINE).getByTestId('status')).not.toHaveText(/Never connected|Offline/, {
      timeout: 90_000,
    });
    const delivered = () => Number(agent.last('farm')?.done ?? 0);
    await expect.poll(delivered, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);

    // The machine page charts the frames just rendered, and follows new ones without a reload.
    const machinePage =
      (await machineCard(page, MACHINE).getByRole('link', { name: MACHINE }).getAttribute('href')) ?? '';
    const machineId = machinePage.split('/machines/')[1] ?? '';
    await page.goto(machinePage);
    // Blender keeps this machine's cores busy: the page may take longer than usual to come up.
    await expect(page.getByTestId('machine-name')).toHaveText(MACHINE, { timeout: 30_000 });
    const history = page.getByTestId('history');
    const charted = async () => Number((await history.getByTestId('history-frames').textContent()) ?? 0);
    await expect.poll(charted, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await expect(history.locator('.chart canvas').first()).toBeVisible();
    await expect(history.getByTestId('project-share')).toContainText(['E2E: turning cube']);
    await page.evaluate(() => Object.assign(window, { e2eNoReload: true }));
    const before = await charted();
    await expect.poll(charted, { timeout: 90_000 }).toBeGreaterThan(before);
    expect(await page.evaluate(() => 'e2eNoReload' in window)).toBe(true);
    await shoot(page, 'supervision-machine-chart', 2400);

    // A webhook to the local receiver and a short offline delay; the agent is killed, then restarted.
    const added = await trpc(page, url, 'alerts.addWebhook', {
      kind: 'json',
      name: 'Supervision receiver',
      url: receiver.url,
    });
    expect(added.status).toBe(200);
    webhookId = added.body.result.data.id;
    await setOfflineDelay(page, url, OFFLINE_MINUTES);
    agent.process.kill('SIGKILL');
    await expect(page.getByTestId('status')).toHaveText('Offline', { timeout: 30_000 });
    await expect.poll(() => postsOf(receiver.posts, 'fired').length, { timeout: 60_000 }).toBe(1);
    agent = startAgent('stack-agent', url, '', MACHINE, agentArgs, agent.configDir);
    await expect.poll(() => postsOf(receiver.posts, 'resolved').length, { timeout: 120_000 }).toBe(1);
    expect(postsOf(receiver.posts, 'fired')).toHaveLength(1);

    // A viewer: the page offers no pause, and the server refuses one sent straight to it.
    await page.getByRole('link', { name: 'Account' }).click();
    await addUser(page, VIEWER, PASSWORD, 'Viewer');
    await addUser(page, OPERATOR, PASSWORD, 'Operator');
    await logOut(page);
    await logInAs(page, VIEWER, PASSWORD);
    await page.goto(machinePage);
    await expect(page.getByRole('button', { name: 'Pause now' })).toBeDisabled({ timeout: 30_000 });
    const refused = await trpc(page, url, 'fleet.command', {
      ids: [machineId],
      command: { type: 'pause', when: 'now' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.data.code).toBe('FORBIDDEN');
    await logOut(page);

    // The operator pauses it; the audit list names them.
    await logInAs(page, OPERATOR, PASSWORD);
    await page.goto(machinePage);
    await expect(page.getByTestId('machine-name')).toHaveText(MACHINE, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Pause now' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Pause now: 1 of 1 done' })).toBeVisible({
      timeout: 30_000,
    });
    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    const row = page
      .getByTestId('audit-row')
      .filter({ hasText: 'pause' })
      .filter({ hasText: MACHINE })
      .first();
    await expect(row).toContainText(OPERATOR);
    await expect(row).toContainText('1 acked');
    // The viewer's refused pause was never carried out, so it is not in the trail.
    await expect(page.getByTestId('audit-who').filter({ hasText: VIEWER })).toHaveCount(0);
    await logOut(page);
  } finally {
    agent.process.kill('SIGTERM');
    // Leave the shared console as the other specs expect it: default delay, no webhook, no machine.
    await page.context().clearCookies();
    await logInAs(page, 'admin', E2E_ADMIN_PASSWORD);
    await setOfflineDelay(page, url, 2);
    if (webhookId)
      expect((await trpc(page, url, 'alerts.removeWebhook', { id: webhookId })).status).toBe(200);
    await machineCard(page, MACHINE).getByRole('link', { name: MACHINE }).click();
    await removeThisMachine(page);
    await expect(page).toHaveURL(/\/$/);
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  }
});
