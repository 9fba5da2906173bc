import { linkAuthorization } from '@flock/protocol';
import { pair } from 'flock-agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { hashToken } from '../src/server/auth/tokens';
import type { RunningConsole } from '../src/server/start';
import {
  ADMIN_PASSWORD,
  call,
  dataOf,
  login,
  pairSimulatedAgent,
  seenResponses,
  startTestConsole,
  tempDir,
} from './support/console';

let running: RunningConsole | undefined;
const stops: (() => Promise<void>)[] = [];
const secrets: string[] = [ADMIN_PASSWORD];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await running?.stop();
  running = undefined;
});

async function start(options: Parameters<typeof startTestConsole>[0] = {}): Promise<RunningConsole> {
  running = await startTestConsole(options);
  return running;
}

/** Opens the link and resolves with the HTTP status of a refused upgrade, or 101 when accepted. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/link`, { headers });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.terminate();
    });
    socket.on('error', () => {});
  });
}

describe('console security: browser API', () => {
  it('refuses every protected procedure without a session', async () => {
    const r = await start();
    for (const [kind, path, input] of [
      ['query', 'fleet.list', undefined],
      ['query', 'machines.get', { id: 'x' }],
      ['mutation', 'fleet.command', { ids: ['x'], command: { type: 'resume' } }],
      ['mutation', 'machines.addCode', { consoleUrl: r.url }],
      ['mutation', 'machines.remove', { id: 'x' }],
    ] as const) {
      expect((await call(r, kind, path, input)).status, path).toBe(401);
    }
    const subscription = await fetch(`${r.url}/api/trpc/fleet.live`, {
      headers: { accept: 'text/event-stream' },
    });
    const text = await subscription.text();
    expect(text).toMatch(/UNAUTHORIZED/);
  });

  it('keeps pages behind the login', async () => {
    const r = await start();
    const response = await fetch(`${r.url}/machines/abc`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?next=%2Fmachines%2Fabc');
  });

  it('sends the first visitor to setup when no admin exists, and allows setup only once', async () => {
    const r = await start({ adminPassword: undefined });
    const page = await fetch(`${r.url}/`, { redirect: 'manual' });
    expect(page.headers.get('location')).toBe('/setup');
    expect((await call(r, 'mutation', 'auth.setup', { password: 'short' })).status).toBe(400);
    const first = await call(r, 'mutation', 'auth.setup', { password: 'a long enough password' });
    expect(first.status).toBe(200);
    expect(first.setCookie).toMatch(/HttpOnly/);
    expect(first.setCookie).toMatch(/SameSite=Strict/);
    expect((await call(r, 'mutation', 'auth.setup', { password: 'an attacker password' })).status).toBe(401);
  });

  it('refuses a wrong Origin on mutations, even with a valid session', async () => {
    const r = await start();
    const cookie = await login(r);
    const evil = { cookie, origin: 'https://evil.example' };
    expect((await call(r, 'mutation', 'machines.addCode', { consoleUrl: r.url }, evil)).status).toBe(403);
    expect(
      (
        await call(
          r,
          'mutation',
          'auth.login',
          { password: ADMIN_PASSWORD },
          { origin: 'http://evil.example' },
        )
      ).status,
    ).toBe(403);
    expect((await call(r, 'mutation', 'machines.addCode', { consoleUrl: r.url }, { cookie })).status).toBe(
      200,
    );
  });

  it('rate-limits wrong passwords, not people logging in', async () => {
    const r = await start();
    for (let i = 0; i < 6; i++)
      expect((await call(r, 'mutation', 'auth.login', { password: ADMIN_PASSWORD })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await call(r, 'mutation', 'auth.login', { password: `guess ${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // Even the right password is refused until the window passes.
    expect((await call(r, 'mutation', 'auth.login', { password: ADMIN_PASSWORD })).status).toBe(429);
  });

  it('ends the session on logout', async () => {
    const r = await start();
    const cookie = await login(r);
    expect((await call(r, 'mutation', 'auth.logout', undefined, { cookie })).setCookie).toMatch(/Max-Age=0/);
    expect((await call(r, 'query', 'fleet.list', undefined, { cookie })).status).toBe(401);
  });
});

describe('console security: pairing and the agent link', () => {
  it('accepts a pairing code once', async () => {
    const r = await start();
    const cookie = await login(r);
    const { code } = dataOf<{ code: string }>(
      (await call(r, 'mutation', 'machines.addCode', { consoleUrl: r.url }, { cookie })).body,
    );
    await pair(r.url, code, { configDir: tempDir('flock-agent-'), hostname: 'first' });
    await expect(
      pair(r.url, code, { configDir: tempDir('flock-agent-'), hostname: 'second' }),
    ).rejects.toThrow(/403/);
  });

  it('refuses an expired pairing code', async () => {
    let now = Date.now();
    const r = await start({ now: () => now, pairingCodeTtlMs: 5 * 60_000 });
    const cookie = await login(r);
    const { code } = dataOf<{ code: string }>(
      (await call(r, 'mutation', 'machines.addCode', { consoleUrl: r.url }, { cookie })).body,
    );
    now += 5 * 60_000 + 1;
    await expect(pair(r.url, code, { configDir: tempDir('flock-agent-'), hostname: 'late' })).rejects.toThrow(
      /expired/,
    );
  });

  it('refuses link upgrades without a secret, with a wrong one, or from a foreign origin', async () => {
    const r = await start();
    const cookie = await login(r);
    const paired = await pairSimulatedAgent(r, cookie, 'render-01');
    stops.push(() => paired.client.stop());
    expect(await upgradeStatus(r.url, {})).toBe(401);
    expect(
      await upgradeStatus(r.url, { authorization: linkAuthorization(paired.machineId, 'w'.repeat(43)) }),
    ).toBe(401);
    expect(
      await upgradeStatus(r.url, {
        authorization: linkAuthorization(paired.machineId, paired.secret),
        origin: 'https://evil.example',
      }),
    ).toBe(403);
    expect(
      await upgradeStatus(r.url, { authorization: linkAuthorization(paired.machineId, paired.secret) }),
    ).toBe(101);
  });

  it('drops a removed machine at once and refuses it afterwards', async () => {
    const r = await start();
    const cookie = await login(r);
    const paired = await pairSimulatedAgent(r, cookie, 'render-01');
    stops.push(() => paired.client.stop());
    await vi.waitFor(() => expect(paired.client.status).toBe('connected'));
    expect((await call(r, 'mutation', 'machines.remove', { id: paired.machineId }, { cookie })).status).toBe(
      200,
    );
    await vi.waitFor(() => expect(paired.client.status).toBe('unauthorized'));
    expect(r.core.hub.onlineCount).toBe(0);
    expect(
      await upgradeStatus(r.url, { authorization: linkAuthorization(paired.machineId, paired.secret) }),
    ).toBe(401);
    const list = dataOf<{ machines: unknown[] }>(
      (await call(r, 'query', 'fleet.list', undefined, { cookie })).body,
    );
    expect(list.machines).toEqual([]);
  });

  it('never puts a password, agent secret or their hashes in any API response', async () => {
    const r = await start();
    const cookie = await login(r);
    const paired = await pairSimulatedAgent(r, cookie, 'render-01');
    stops.push(() => paired.client.stop());
    secrets.push(paired.secret, hashToken(paired.secret), cookie.split('=')[1] ?? '');
    paired.agent.update({ status: 'rendering' });
    await vi.waitFor(() => expect(r.core.fleet.summary(paired.machineId)?.status).toBe('rendering'));
    await call(r, 'query', 'fleet.list', undefined, { cookie });
    await call(r, 'query', 'machines.get', { id: paired.machineId }, { cookie });
    await call(r, 'query', 'auth.status', undefined, { cookie });
    const stored = await r.core.repo.findUser('admin');
    if (stored) secrets.push(stored.passwordHash);
    expect(seenResponses.length).toBeGreaterThan(5);
    for (const body of seenResponses) for (const secret of secrets) expect(body).not.toContain(secret);
  });
});
