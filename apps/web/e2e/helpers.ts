import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, type Page } from '@playwright/test';
import { E2E_ADMIN_PASSWORD } from '../playwright.config';

export const SHOTS = join(import.meta.dirname, '..', 'test-results');

export interface AgentProcess {
  process: ChildProcess;
  events: Record<string, unknown>[];
  configDir: string;
  /** The latest report of this kind. */
  last(event: string): Record<string, unknown> | undefined;
  /** Every report of this kind, in order. */
  all(event: string): Record<string, unknown>[];
}

/**
 * Starts an agent as its own process, pairing with `code`: `sim-agent` (the link client with a
 * scripted agent) or `stack-agent` (the real agent against its own sandbox farm and real Blender).
 */
export function startAgent(
  script: 'sim-agent' | 'stack-agent',
  consoleUrl: string,
  code: string,
  name: string,
  extraArgs: string[] = [],
  /** An earlier agent's `configDir`: the agent keeps that pairing (the same machine, started again). */
  configDir = mkdtempSync(join(tmpdir(), 'flock-e2e-agent-')),
): AgentProcess {
  const args = ['--console', consoleUrl, '--code', code, '--name', name, '--config-dir', configDir];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `test/support/${script}.ts`, ...args, ...extraArgs],
    { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    events.push(JSON.parse(line)),
  );
  const all = (event: string) => events.filter((e) => e.event === event);
  return { process: child, events, configDir, last: (event) => all(event).at(-1), all };
}

export const machineCard = (page: Page, name: string) =>
  page.getByTestId('machine').filter({ hasText: name });

export async function percentOf(page: Page, name: string): Promise<number> {
  const text = await machineCard(page, name).getByTestId('percent').textContent();
  return Number(text?.replace('%', '').trim());
}

export async function logIn(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  // The user name field is prefilled with "admin" (the label was "Admin password" before there were users).
  await page.getByLabel(/^(admin )?password$/i).fill(E2E_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('live')).toHaveText('Live');
}

export async function logInAs(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel(/^password$/i).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  // While Blender keeps the machine's cores busy, the live feed can take more than a few seconds.
  await expect(page.getByTestId('live')).toHaveText('Live', { timeout: 20_000 });
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** Adds a user with `role` on the Account page (open), as the logged-in admin. */
export async function addUser(
  page: Page,
  username: string,
  password: string,
  role: 'Viewer' | 'Operator',
): Promise<void> {
  await page.getByLabel('Name').fill(username);
  await page.getByLabel('Their password (at least 10 characters)').fill(password);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Added ${username}` })).toBeVisible();
}

/** Opens "Add machine" and returns the one-time code it shows. */
export async function pairingCode(page: Page, baseURL: string): Promise<string> {
  await page.getByRole('button', { name: 'Add machine' }).first().click();
  const code = (await page.getByTestId('pair-code').textContent()) ?? '';
  await expect(page.getByTestId('pair-command')).toHaveText(
    `curl -fsSL ${baseURL}/install.sh | sh -s -- ${code}`,
  );
  return code;
}

/**
 * Everything the browser receives from the API: each tRPC response body, and every message of the
 * live feeds (SSE, read in the page as the app's EventSource receives them).
 */
export async function recordApiTraffic(page: Page): Promise<() => Promise<string[]>> {
  const bodies: string[] = [];
  page.on('response', async (response) => {
    if (
      !response.url().includes('/api/trpc/') ||
      response.headers()['content-type']?.includes('event-stream')
    )
      return;
    bodies.push(await response.text().catch(() => ''));
  });
  // A binding outlives navigations (the page reloads after "Remove machine").
  const sse: string[] = [];
  await page.exposeFunction('__flockSseSeen', (data: string) => sse.push(data));
  await page.addInitScript(() => {
    const seen = (data: string) =>
      (window as unknown as { __flockSseSeen: (data: string) => Promise<void> }).__flockSseSeen(data);
    const Original = window.EventSource;
    window.EventSource = class extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        this.addEventListener('message', (event) => void seen(String(event.data)));
      }
    };
  });
  return async () => {
    expect(bodies.length, 'tRPC responses seen').toBeGreaterThan(3);
    expect(sse.length, 'live feed messages seen').toBeGreaterThan(3);
    return [...bodies, ...sse];
  };
}

/** No secret in anything the browser got. */
export function expectNoSecrets(traffic: string[], secrets: string[]): void {
  for (const body of traffic) for (const secret of secrets) expect(body).not.toContain(secret);
}

/** A page at desktop (1280 px) and phone (390 px) width, as `<name>.png` and `<name>-phone.png`. */
export async function shoot(page: Page, name: string, height = 900): Promise<void> {
  await page.setViewportSize({ width: 1280, height });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
}

/**
 * Removes every machine through the API as the logged-in admin, so that a spec which counts machines
 * or shows the empty fleet does not depend on what the specs before it left behind.
 */
export async function removeEveryMachine(page: Page, baseURL: string): Promise<void> {
  const headers = { origin: baseURL, 'content-type': 'application/json' };
  const list = await page.request.get(`${baseURL}/api/trpc/fleet.list`, { headers });
  expect(list.status()).toBe(200);
  const { machines } = (await list.json()).result.data as { machines: { id: string }[] };
  for (const { id } of machines) {
    const removed = await page.request.post(`${baseURL}/api/trpc/machines.remove`, { headers, data: { id } });
    expect(removed.status()).toBe(200);
  }
}

/** On a machine's page: "Remove machine", confirmed in the page's dialog (the page then leaves). */
export async function removeThisMachine(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Remove machine' }).click();
  await page
    .getByRole('alertdialog')
    .getByRole('button', { name: /^Remove / })
    .click();
}
