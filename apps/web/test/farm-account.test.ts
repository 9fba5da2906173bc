// The farm account the console hands its agents: admins only, encrypted at rest, never returned to a
// browser, sent over TLS or loopback links only (a proxy watches the wire), a machine's own over the
// fleet's.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, Socket } from 'node:net';
import { join } from 'node:path';
import { LinkClient, loadLinkCredentials, pair } from 'flock-agent';
import { SimulatedAgent } from 'flock-agent/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole, StartOptions } from '../src/server/start';
import {
  ADMIN_PASSWORD,
  addMachine,
  call,
  dataOf,
  login,
  pairSimulatedAgent,
  seenResponses,
  startTestConsole,
  tempDir,
} from './support/console';

const RENDER_KEY = 'rk-9f2c41d0e7b35a86c1f4';
const ACCOUNT = { login: 'fleet-owner', renderKey: RENDER_KEY };

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

async function consoleWith(options: Partial<StartOptions> = {}) {
  const running = await startTestConsole(options);
  stops.push(() => running.stop());
  const cookie = await login(running);
  const mutate = (path: string, input?: unknown, as = cookie) =>
    call(running, 'mutation', path, input, { cookie: as });
  const query = (path: string, as = cookie) => call(running, 'query', path, undefined, { cookie: as });
  return { running, cookie, mutate, query };
}

async function linked(running: RunningConsole, cookie: string, hostname: string) {
  const paired = await pairSimulatedAgent(running, cookie, hostname);
  stops.push(() => paired.client.stop());
  await vi.waitFor(() => expect(paired.client.status).toBe('connected'), { timeout: 10_000, interval: 50 });
  return paired;
}

describe('the farm account in the console', () => {
  it('is kept encrypted with a 0600 key made on first start, and survives a restart', async () => {
    const dataDir = tempDir('flock-farm-account-');
    const { running, mutate, query } = await consoleWith({ dataDir });
    const keyFile = join(dataDir, 'secret.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile)).toHaveLength(32);

    expect((await mutate('farmAccount.setFleet', ACCOUNT)).status).toBe(200);
    const views = dataOf<{ fleet: { login: string; setBy: string } | null }>(
      (await query('farmAccount.get')).body,
    );
    expect(views.fleet).toMatchObject({ login: 'fleet-owner', setBy: 'admin' });
    await running.stop();

    // At rest: the login is there in clear, the render key is not (database and its write-ahead log).
    const files = ['console.sqlite', 'console.sqlite-wal']
      .map((name) => join(dataDir, name))
      .filter(existsSync);
    const bytes = Buffer.concat(files.map((file) => readFileSync(file)));
    expect(bytes.includes('fleet-owner')).toBe(true);
    expect(bytes.includes(RENDER_KEY)).toBe(false);
    expect(bytes.includes(Buffer.from(RENDER_KEY).toString('base64'))).toBe(false);

    // The same key file opens it after a restart: a machine linking now gets the account.
    const again = await consoleWith({ dataDir });
    const { agent } = await linked(again.running, again.cookie, 'render-01');
    await vi.waitFor(() => expect(agent.farmAccounts).toContainEqual({ account: ACCOUNT }));
  });

  it('is dropped with a log line, not misread, when the key file was replaced', async () => {
    const dataDir = tempDir('flock-farm-account-');
    const first = await consoleWith({ dataDir });
    await first.mutate('farmAccount.setFleet', ACCOUNT);
    await first.running.stop();
    writeFileSync(join(dataDir, 'secret.key'), randomBytes(32));
    const stderr = vi.spyOn(process.stderr, 'write');
    const again = await consoleWith({ dataDir });
    expect(dataOf<{ fleet: unknown }>((await again.query('farmAccount.get')).body).fleet).toBeNull();
    expect(stderr.mock.calls.map(String).join('')).toContain(
      'stored farm-account cannot be decrypted (a sealed value does not open with this key); enter it again',
    );
    stderr.mockRestore();
  });

  it('is for admins only, and its render key never comes back out of the API', async () => {
    const { running, mutate, query } = await consoleWith();
    await mutate('users.add', { username: 'operator', password: 'operator password 1' });
    const { setCookie } = await call(running, 'mutation', 'auth.login', {
      username: 'operator',
      password: 'operator password 1',
    });
    const operator = setCookie?.split(';')[0] ?? '';
    expect((await mutate('farmAccount.setFleet', ACCOUNT, operator)).status).toBe(403);
    expect((await query('farmAccount.get', operator)).status).toBe(403);
    expect((await mutate('farmAccount.clearFleet', undefined, operator)).status).toBe(403);
    expect((await call(running, 'query', 'farmAccount.get')).status).toBe(401);

    const responsesBefore = seenResponses.length;
    await mutate('farmAccount.setFleet', ACCOUNT);
    const admin = await login(running);
    const { machineId } = await linked(running, admin, 'render-02');
    await mutate('farmAccount.setMachine', { id: machineId, login: 'own', renderKey: `${RENDER_KEY}-own` });
    await query('farmAccount.get');
    await call(running, 'query', 'machines.get', { id: machineId }, { cookie: admin });
    const responses = seenResponses.slice(responsesBefore);
    expect(responses.length).toBeGreaterThan(4);
    for (const body of responses) expect(body).not.toContain(RENDER_KEY);
    expect(responses.join('')).not.toContain(ADMIN_PASSWORD);
  });

  it('refuses control characters and oversized values', async () => {
    const { mutate } = await consoleWith();
    for (const account of [
      { login: 'a\nb', renderKey: 'k' },
      { login: 'ok', renderKey: 'k'.repeat(201) },
      { login: '   ', renderKey: 'k' },
    ])
      expect((await mutate('farmAccount.setFleet', account)).status).toBe(400);
  });

  it("reaches every machine; a machine's own wins over the fleet's, and its removal falls back", async () => {
    const { running, cookie, mutate } = await consoleWith();
    const one = await linked(running, cookie, 'render-01');
    const two = await linked(running, cookie, 'render-02');
    await vi.waitFor(() => expect(one.agent.farmAccounts).toEqual([{ account: null }]));
    await mutate('farmAccount.setFleet', ACCOUNT);
    const own = { login: 'own-account', renderKey: 'own-key-123' };
    await mutate('farmAccount.setMachine', { id: two.machineId, ...own });
    await vi.waitFor(() => {
      expect(one.agent.farmAccounts.at(-1)).toEqual({ account: ACCOUNT });
      expect(two.agent.farmAccounts.at(-1)).toEqual({ account: own });
    });
    // A change of the fleet's account does not touch a machine with its own.
    const sentToTwo = two.agent.farmAccounts.length;
    await mutate('farmAccount.setFleet', { ...ACCOUNT, renderKey: 'rotated-key' });
    await vi.waitFor(() =>
      expect(one.agent.farmAccounts.at(-1)).toEqual({ account: { ...ACCOUNT, renderKey: 'rotated-key' } }),
    );
    expect(two.agent.farmAccounts.at(-1)).toEqual({ account: own });
    expect(two.agent.farmAccounts.length).toBeLessThanOrEqual(sentToTwo + 1);
    await mutate('farmAccount.clearMachine', { id: two.machineId });
    await vi.waitFor(() =>
      expect(two.agent.farmAccounts.at(-1)).toEqual({ account: { ...ACCOUNT, renderKey: 'rotated-key' } }),
    );
    await mutate('farmAccount.clearFleet');
    await vi.waitFor(() => expect(one.agent.farmAccounts.at(-1)).toEqual({ account: null }));
  });
});

/** A TCP proxy that records every byte both ways between an agent and the console. */
async function wiretap(
  target: URL,
): Promise<{ url: string; bytes: () => Buffer; close: () => Promise<void> }> {
  const seen: Buffer[] = [];
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        seen.push(chunk);
        to.write(chunk);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    bytes: () => Buffer.concat(seen),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => proxy.close(() => resolve()));
    },
  };
}

/** Pairs through the proxy and links a simulated agent there; returns what it was told. */
async function linkThrough(running: RunningConsole, cookie: string, proxyUrl: string) {
  const { code } = await addMachine(running, cookie);
  const configDir = tempDir('flock-wire-agent-');
  await pair(proxyUrl, code, { configDir, hostname: 'wire-01' });
  const credentials = await loadLinkCredentials(configDir);
  if (!credentials) throw new Error('not paired');
  const agent = new SimulatedAgent({ hostname: 'wire-01' });
  const client = new LinkClient({ ...credentials, agent, agentVersion: 'wire-test' });
  client.start();
  stops.push(() => client.stop());
  await vi.waitFor(() => expect(agent.farmAccounts.length).toBeGreaterThan(0), { timeout: 10_000 });
  return agent;
}

describe('the farm account on the wire', () => {
  it('never crosses a link the console serves as plain HTTP off loopback; the agent is told why', async () => {
    // Served on loopback but declared insecure (--insecure-http): the console treats every link as public.
    const { running, cookie, mutate } = await consoleWith({ transport: 'http-insecure' });
    await mutate('farmAccount.setFleet', ACCOUNT);
    const tap = await wiretap(new URL(running.url));
    stops.push(tap.close);
    const agent = await linkThrough(running, cookie, tap.url);
    expect(agent.farmAccounts).toEqual([{ withheld: 'plain-link' }]);
    // A change of the account is withheld the same way.
    await mutate('farmAccount.setFleet', { ...ACCOUNT, renderKey: `${RENDER_KEY}-2` });
    await vi.waitFor(() => expect(agent.farmAccounts).toHaveLength(2));
    expect(agent.farmAccounts[1]).toEqual({ withheld: 'plain-link' });
    const wire = tap.bytes();
    expect(wire.includes('"type":"welcome"')).toBe(true);
    expect(wire.includes(RENDER_KEY)).toBe(false);
  });

  it('crosses a plain link that stays on this machine (loopback), where the proxy can read it', async () => {
    const { running, cookie, mutate } = await consoleWith({ transport: 'http-loopback' });
    await mutate('farmAccount.setFleet', ACCOUNT);
    const tap = await wiretap(new URL(running.url));
    stops.push(tap.close);
    const agent = await linkThrough(running, cookie, tap.url);
    expect(agent.farmAccounts).toEqual([{ account: ACCOUNT }]);
    expect(tap.bytes().includes(RENDER_KEY)).toBe(true);
  });

  it('crosses an HTTPS link encrypted: the proxy sees no render key', async () => {
    const { running, cookie, mutate } = await consoleWith({ transport: 'https' });
    await mutate('farmAccount.setFleet', ACCOUNT);
    const tap = await wiretap(new URL(running.url));
    stops.push(tap.close);
    const { code, pin } = await addMachine(running, cookie);
    const configDir = tempDir('flock-wire-agent-');
    await pair(tap.url.replace('http:', 'https:'), code, {
      configDir,
      hostname: 'wire-01',
      fingerprint: pin,
    });
    const credentials = await loadLinkCredentials(configDir);
    if (!credentials) throw new Error('not paired');
    const agent = new SimulatedAgent({ hostname: 'wire-01' });
    const client = new LinkClient({ ...credentials, agent, agentVersion: 'wire-test' });
    client.start();
    stops.push(() => client.stop());
    await vi.waitFor(() => expect(agent.farmAccounts).toEqual([{ account: ACCOUNT }]), { timeout: 10_000 });
    const wire = tap.bytes();
    expect(wire.length).toBeGreaterThan(1000);
    expect(wire.includes(RENDER_KEY)).toBe(false);
    expect(wire.includes('fleet-owner')).toBe(false);
  });
});
