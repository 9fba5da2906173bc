// Fleet-wide settings: stored by the console, pushed to every agent over the real link on connect and
// on every change, admin-only where they change how machines log in, validated, and counted machines
// "in error" by their reason.

import type { LinkClient } from 'flock-agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setUpDemoFarm } from '../src/server/demo-farm';
import type { RunningConsole } from '../src/server/start';
import type { FleetTotals } from '../src/server/views';
import { call, dataOf, login, pairSimulatedAgent, startTestConsole, tempDir } from './support/console';

const MD5 = '0123456789abcdef0123456789abcdef';
const USER_PASSWORD = 'a plain user long password';

let running: RunningConsole | undefined;
const clients: LinkClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
  await running?.stop();
  running = undefined;
});

async function setup(dataDir = tempDir('flock-console-')) {
  running = await startTestConsole({ dataDir });
  const r = running;
  const cookie = await login(r);
  const as = (who: string) => ({
    query: (path: string, input?: unknown) => call(r, 'query', path, input, { cookie: who }),
    mutate: (path: string, input?: unknown) => call(r, 'mutation', path, input, { cookie: who }),
  });
  const pairAgent = async (name: string) => {
    const paired = await pairSimulatedAgent(r, cookie, name);
    clients.push(paired.client);
    await vi.waitFor(() => expect(r.core.fleet.summary(paired.machineId)?.online).toBe(true));
    return paired;
  };
  return { r, cookie, admin: as(cookie), as, pairAgent, dataDir };
}

describe('fleet settings', () => {
  it('reach every agent at connect and on every change, machines connecting later included', async () => {
    const { admin, pairAgent } = await setup();
    const first = await pairAgent('render-01');
    await vi.waitFor(() =>
      expect(first.agent.fleetSettings).toEqual([
        { clientVersion: null, farmServer: null, blockedProjects: [] },
      ]),
    );

    expect(
      (await admin.mutate('fleetSettings.setClientVersion', { clientVersion: '7.24086.0' })).status,
    ).toBe(200);
    expect((await admin.mutate('fleetSettings.blockProject', { archiveMd5: MD5, name: 'Spam' })).status).toBe(
      200,
    );
    await vi.waitFor(() =>
      expect(first.agent.fleetSettings.at(-1)).toMatchObject({
        clientVersion: '7.24086.0',
        blockedProjects: [{ archiveMd5: MD5, name: 'Spam' }],
      }),
    );
    // the agent shows the fleet block in its state, and the console lists it with the machine
    await vi.waitFor(async () => {
      const { body } = await admin.query('machines.get', { id: first.machineId });
      expect(dataOf<{ summary: { blockedProjects: unknown[] } }>(body).summary.blockedProjects).toEqual([
        expect.objectContaining({ archiveMd5: MD5, scope: 'fleet' }),
      ]);
    });

    const later = await pairAgent('render-02');
    await vi.waitFor(() =>
      expect(later.agent.fleetSettings[0]).toMatchObject({
        clientVersion: '7.24086.0',
        blockedProjects: [{ archiveMd5: MD5 }],
      }),
    );

    expect((await admin.mutate('fleetSettings.unblockProject', { archiveMd5: MD5 })).status).toBe(200);
    await vi.waitFor(() => expect(first.agent.fleetSettings.at(-1)?.blockedProjects).toEqual([]));
    await vi.waitFor(() => expect(later.agent.fleetSettings.at(-1)?.blockedProjects).toEqual([]));
    expect((await admin.mutate('fleetSettings.unblockProject', { archiveMd5: MD5 })).status).toBe(404);
  });

  it('survive a console restart', async () => {
    const { admin, dataDir } = await setup();
    await admin.mutate('fleetSettings.setClientVersion', { clientVersion: '7.24086.0' });
    await admin.mutate('fleetSettings.blockProject', { archiveMd5: MD5, name: 'Spam' });
    await running?.stop();
    const again = await setup(dataDir);
    const { body } = await again.admin.query('fleetSettings.get');
    expect(dataOf(body)).toMatchObject({
      clientVersion: '7.24086.0',
      blockedProjects: [{ archiveMd5: MD5 }],
    });
    // Back to each agent's own version: a null is stored too.
    expect((await again.admin.mutate('fleetSettings.setClientVersion', { clientVersion: null })).status).toBe(
      200,
    );
    expect(dataOf((await again.admin.query('fleetSettings.get')).body)).toMatchObject({
      clientVersion: null,
    });
  });

  it('refuse what is not a version or an MD5, and leave the client version to admins', async () => {
    const { admin, as, r } = await setup();
    for (const clientVersion of ['7.1 "x"', '', '../../etc', 'x'.repeat(51)])
      expect((await admin.mutate('fleetSettings.setClientVersion', { clientVersion })).status).toBe(400);
    expect((await admin.mutate('fleetSettings.blockProject', { archiveMd5: 'nope', name: 'x' })).status).toBe(
      400,
    );
    expect((await call(r, 'query', 'fleetSettings.get')).status).toBe(401);

    await admin.mutate('users.add', { username: 'ana', password: USER_PASSWORD });
    const { setCookie } = await call(r, 'mutation', 'auth.login', {
      username: 'ana',
      password: USER_PASSWORD,
    });
    const ana = as(setCookie?.split(';')[0] ?? '');
    expect((await ana.mutate('fleetSettings.setClientVersion', { clientVersion: '7.24086.0' })).status).toBe(
      403,
    );
    expect((await ana.mutate('fleetSettings.blockProject', { archiveMd5: MD5, name: 'Spam' })).status).toBe(
      200,
    );
    expect(dataOf((await ana.query('fleetSettings.get')).body)).toMatchObject({ clientVersion: null });
  });
});

describe('the fleet farm server', () => {
  const FARM = 'http://127.0.0.1:3381';

  it('reaches a paired agent over the link, refuses what is not an http(s) URL, and survives a restart', async () => {
    const { admin, pairAgent, dataDir } = await setup();
    const agent = await pairAgent('render-01');
    expect((await admin.mutate('fleetSettings.setFarmServer', { farmServer: FARM })).status).toBe(200);
    await vi.waitFor(() => expect(agent.agent.fleetSettings.at(-1)).toMatchObject({ farmServer: FARM }));
    for (const farmServer of ['https://demo:demo@farm.example.net', 'file:///etc/passwd', 'farm', '']) {
      expect((await admin.mutate('fleetSettings.setFarmServer', { farmServer })).status).toBe(400);
    }
    expect(agent.agent.fleetSettings.at(-1)).toMatchObject({ farmServer: FARM });
    await running?.stop();
    const again = await setup(dataDir);
    expect(dataOf((await again.admin.query('fleetSettings.get')).body)).toMatchObject({ farmServer: FARM });
    expect((await again.admin.mutate('fleetSettings.setFarmServer', { farmServer: null })).status).toBe(200);
    expect(dataOf((await again.admin.query('fleetSettings.get')).body)).toMatchObject({ farmServer: null });
  });

  it('is the demo farm with the demo account on first start (--demo-farm), never over an admin change', async () => {
    const { r, admin, dataDir } = await setup();
    expect(await setUpDemoFarm(r.core, FARM)).toBe(true);
    expect(r.core.fleetSettings.settings.farmServer).toBe(FARM);
    expect(r.core.farmAccounts.accountFor('any-machine')).toEqual({ login: 'demo', renderKey: 'demo' });
    // The admin sends the fleet to the public farm; the next start with the flag leaves that alone.
    await admin.mutate('fleetSettings.setFarmServer', { farmServer: null });
    await running?.stop();
    const again = await setup(dataDir);
    expect(await setUpDemoFarm(again.r.core, FARM)).toBe(false);
    expect(again.r.core.fleetSettings.settings.farmServer).toBeNull();
  });

  it('leaves an account the fleet already has', async () => {
    const { r } = await setup();
    await r.core.farmAccounts.setFleet({ login: 'alice', renderKey: 'key-1' }, 'admin');
    expect(await setUpDemoFarm(r.core, FARM)).toBe(true);
    expect(r.core.farmAccounts.accountFor('any-machine')).toEqual({ login: 'alice', renderKey: 'key-1' });
  });
});

describe('machines in error', () => {
  it('counts a machine whose farm is unreachable as in error, even if its agent says idle', async () => {
    const { admin, pairAgent } = await setup();
    const { agent } = await pairAgent('render-01');
    agent.update({
      status: 'idle',
      reason: {
        code: 'farm-unreachable',
        message: 'The farm did not answer in time.',
        since: Date.now(),
        until: Date.now() + 30_000,
        detail: 'Headers Timeout Error',
      },
    });
    await vi.waitFor(async () => {
      const totals = dataOf<{ totals: FleetTotals }>((await admin.query('fleet.list')).body).totals;
      expect(totals.error).toBe(1);
    });
  });
});
