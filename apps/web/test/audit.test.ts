// The audit trail end to end: real console, a simulated agent paired through the real API, and
// users of each role calling the same tRPC procedures the browser calls.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_KEEP_MS, AuditTrail } from '../src/server/audit/trail';
import { AuditRepo } from '../src/server/db/audit-repo';
import { openDatabase } from '../src/server/db/client';
import type { RunningConsole } from '../src/server/start';
import {
  ADMIN_PASSWORD,
  call,
  dataOf,
  pairSimulatedAgent,
  startTestConsole,
  tempDir,
} from './support/console';
import { ROLE_PASSWORD, sessionsByRole } from './support/roles';

let running: RunningConsole | undefined;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await running?.stop();
  running = undefined;
});

interface Entry {
  username: string;
  action: string;
  params: Record<string, unknown>;
  machines: { id: string; name: string | null }[];
  outcome: string;
  detail: string | null;
  at: number;
}
const errorOf = (body: unknown) => (body as { error: { message: string; data: { code: string } } }).error;

async function consoleWithMachine() {
  running = await startTestConsole();
  const r = running;
  const sessions = await sessionsByRole(r);
  const paired = await pairSimulatedAgent(r, sessions.admin, 'render-01');
  stops.push(() => paired.client.stop());
  await vi.waitFor(() => expect(r.core.fleet.summary(paired.machineId)?.online).toBe(true));
  const as = (cookie: string) => ({
    query: (path: string, input?: unknown) => call(r, 'query', path, input, { cookie }),
    mutate: (path: string, input?: unknown) => call(r, 'mutation', path, input, { cookie }),
  });
  return { r, sessions, machineId: paired.machineId, as };
}

describe('audit trail', () => {
  it('refuses a viewer who pauses a machine; an operator pauses it and the trail says who, what and where', async () => {
    const { sessions, machineId, as } = await consoleWithMachine();
    const pause = { ids: [machineId], command: { type: 'pause', when: 'now' } };

    const refused = await as(sessions.viewer).mutate('fleet.command', pause);
    expect([refused.status, errorOf(refused.body).data.code]).toEqual([403, 'FORBIDDEN']);

    const paused = await as(sessions.operator).mutate('fleet.command', pause);
    expect(paused.status).toBe(200);
    expect(dataOf<{ status: string }[]>(paused.body).map((outcome) => outcome.status)).toEqual(['acked']);

    const trail = dataOf<Entry[]>((await as(sessions.operator).query('audit.list', {})).body);
    const entry = trail.find((row) => row.action === 'fleet.command');
    expect(entry).toMatchObject({
      username: 'operator',
      params: { command: { type: 'pause', when: 'now' } },
      machines: [{ id: machineId, name: 'render-01' }],
      outcome: 'ok',
      detail: '1 acked',
    });
    // The refused attempt was never accepted, so it is not in the trail.
    expect(trail.filter((row) => row.action === 'fleet.command')).toHaveLength(1);
    expect((await as(sessions.viewer).query('audit.list', {})).status).toBe(403);
  });

  it('filters by machine and by user, newest first', async () => {
    const { sessions, machineId, as } = await consoleWithMachine();
    await as(sessions.operator).mutate('machines.rename', { id: machineId, name: 'Left rack' });
    await as(sessions.admin).mutate('fleet.command', { ids: [machineId], command: { type: 'resume' } });
    await as(sessions.admin).mutate('fleetSettings.setClientVersion', { clientVersion: null });
    const list = async (filter: object) =>
      dataOf<Entry[]>((await as(sessions.admin).query('audit.list', filter)).body).map((entry) => [
        entry.username,
        entry.action,
      ]);
    expect(await list({ machineId })).toEqual([
      ['admin', 'fleet.command'],
      ['operator', 'machines.rename'],
    ]);
    expect(await list({ username: 'operator' })).toEqual([['operator', 'machines.rename']]);
    expect((await list({})).slice(0, 3)).toEqual([
      ['admin', 'fleetSettings.setClientVersion'],
      ['admin', 'fleet.command'],
      ['operator', 'machines.rename'],
    ]);
    const usernames = dataOf<string[]>((await as(sessions.admin).query('audit.usernames')).body);
    expect(usernames).toEqual(expect.arrayContaining(['admin', 'operator']));
  });

  it('records failed calls with their outcome and never a password or a render key', async () => {
    const { r, sessions, machineId, as } = await consoleWithMachine();
    const renderKey = 'Render-key-never-in-the-audit-trail-0001';
    await as(sessions.admin).mutate('farmAccount.setFleet', { login: 'lab', renderKey });
    await as(sessions.admin).mutate('farmAccount.setMachine', { id: machineId, login: 'lab2', renderKey });
    await as(sessions.admin).mutate('users.add', {
      username: 'newbie',
      password: ROLE_PASSWORD,
      role: 'viewer',
    });
    const gone = await as(sessions.admin).mutate('machines.remove', { id: 'no-such-machine' });
    expect(gone.status).toBe(404);
    const trail = await r.core.audit.list({ limit: 100 });
    expect(trail.find((entry) => entry.action === 'machines.remove')).toMatchObject({
      outcome: 'failed',
      detail: 'No such machine.',
    });
    expect(trail.find((entry) => entry.action === 'users.add')?.params).toEqual({
      username: 'newbie',
      role: 'viewer',
    });
    expect(trail.find((entry) => entry.action === 'farmAccount.setMachine')).toMatchObject({
      params: { login: 'lab2' },
      machines: [{ id: machineId }],
    });
    const stored = JSON.stringify(trail);
    for (const secret of [renderKey, ROLE_PASSWORD, ADMIN_PASSWORD]) expect(stored).not.toContain(secret);
  });

  it('names the user a role change or a removal acted on, which stays readable once the user is gone', async () => {
    const { r, sessions, as } = await consoleWithMachine();
    const users = dataOf<{ id: number; username: string }[]>(
      (await as(sessions.admin).query('users.list')).body,
    );
    const viewerId = users.find((user) => user.username === 'viewer')?.id;
    await as(sessions.admin).mutate('users.setRole', { id: viewerId, role: 'operator' });
    await as(sessions.admin).mutate('users.remove', { id: viewerId });
    await as(sessions.admin).mutate('users.remove', { id: 999 });
    const trail = await r.core.audit.list({ limit: 100 });
    expect(
      trail.filter((entry) => entry.action.startsWith('users.') && entry.action !== 'users.add'),
    ).toMatchObject([
      { action: 'users.remove', params: { id: 999 }, outcome: 'failed' },
      { action: 'users.remove', params: { id: viewerId, username: 'viewer' }, outcome: 'ok' },
      {
        action: 'users.setRole',
        params: { id: viewerId, username: 'viewer', role: 'operator' },
        outcome: 'ok',
      },
    ]);
  });

  it('keeps a year and at most the newest rows', async () => {
    const database = openDatabase(join(tempDir('flock-audit-'), 'console.sqlite'));
    const repo = new AuditRepo(database.db);
    const trail = new AuditTrail(repo, () => 'box');
    const now = 10 * AUDIT_KEEP_MS;
    const record = (at: number, action: string) =>
      trail.record({
        at,
        user: { id: 1, username: 'admin' },
        action,
        params: {},
        machineIds: ['m1'],
        outcome: 'ok',
      });
    await record(now - AUDIT_KEEP_MS - 1, 'too-old');
    for (let i = 0; i < 5; i++) await record(now - i, `recent-${i}`);
    expect(await trail.trim(now)).toBe(1);
    expect(await repo.trim(0, 3)).toBe(2);
    expect((await trail.list({ limit: 10 })).map((entry) => entry.action)).toEqual([
      'recent-4',
      'recent-3',
      'recent-2',
    ]);
    expect((await trail.list({ machineId: 'm1', limit: 10 })).length).toBe(3);
    database.close();
  });
});
