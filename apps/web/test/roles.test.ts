// Every procedure of the console's API, called as nobody, a viewer, an operator and an admin over
// real HTTP against the real console: each is refused below its role and accepted from it on. The
// list is checked against the router itself, so a new procedure without a role here fails the test.
import { afterEach, describe, expect, it } from 'vitest';
import { hasRole, ROLES, type Role } from '../src/lib/roles';
import { appRouter } from '../src/server/api/router';
import type { RunningConsole } from '../src/server/start';
import { ADMIN_PASSWORD, call, dataOf, pairSimulatedAgent, startTestConsole } from './support/console';
import { sessionsByRole } from './support/roles';

type Minimum = 'public' | Role;
interface Case {
  minimum: Minimum;
  input?: (machineId: string, url: string) => unknown;
  /** Mutations that change nothing (or only the caller's own session) are not in the audit trail. */
  notAudited?: true;
  /** Needs its own session (it ends the one it is called with). */
  freshSession?: true;
}

const MD5 = '0123456789abcdef0123456789abcdef';
const account = { login: 'renderer', renderKey: 'K3y-that-is-long-enough-000000000' };

const PROCEDURES: Record<string, Case> = {
  'alerts.list': { minimum: 'viewer' },
  'alerts.live': { minimum: 'viewer' },
  'alerts.acknowledge': { minimum: 'operator', input: () => ({ id: null }) },
  'alerts.settings': { minimum: 'admin' },
  'alerts.saveSettings': { minimum: 'admin', input: () => ({}) },
  'alerts.addWebhook': {
    minimum: 'admin',
    input: () => ({ kind: 'json', name: 'roles test', url: 'http://127.0.0.1:9/hook' }),
  },
  'alerts.removeWebhook': { minimum: 'admin', input: () => ({ id: 'no-such-webhook' }) },
  'alerts.testWebhook': { minimum: 'admin', input: () => ({ id: 'no-such-webhook' }) },
  'audit.list': { minimum: 'operator', input: () => ({}) },
  'audit.usernames': { minimum: 'operator' },
  'auth.status': { minimum: 'public' },
  'auth.setup': { minimum: 'public', input: () => ({ password: 'already set up long' }), notAudited: true },
  'auth.login': { minimum: 'public', input: () => ({ password: ADMIN_PASSWORD }), notAudited: true },
  'auth.changePassword': {
    minimum: 'viewer',
    input: () => ({ current: 'not the current password', next: 'another long password' }),
    notAudited: true,
  },
  'auth.logout': { minimum: 'viewer', notAudited: true, freshSession: true },
  'farmAccount.get': { minimum: 'admin' },
  'farmAccount.setFleet': { minimum: 'admin', input: () => account },
  'farmAccount.clearFleet': { minimum: 'admin' },
  'farmAccount.setMachine': { minimum: 'admin', input: (id) => ({ ...account, id }) },
  'farmAccount.clearMachine': { minimum: 'admin', input: (id) => ({ id }) },
  'fleet.list': { minimum: 'viewer' },
  'fleet.live': { minimum: 'viewer' },
  'fleet.command': { minimum: 'operator', input: (id) => ({ ids: [id], command: { type: 'resume' } }) },
  'fleet.activity': { minimum: 'viewer' },
  'fleet.tag': { minimum: 'operator', input: (id) => ({ ids: [id], tags: ['roles'] }) },
  'fleet.untag': { minimum: 'operator', input: (id) => ({ ids: [id], tags: ['roles'] }) },
  'fleetSettings.get': { minimum: 'viewer' },
  'fleetSettings.setClientVersion': { minimum: 'admin', input: () => ({ clientVersion: null }) },
  'fleetSettings.setFarmServer': { minimum: 'admin', input: () => ({ farmServer: null }) },
  'fleetSettings.blockProject': {
    minimum: 'operator',
    input: () => ({ archiveMd5: MD5, name: 'A project' }),
  },
  'fleetSettings.unblockProject': { minimum: 'operator', input: () => ({ archiveMd5: MD5 }) },
  'history.series': {
    minimum: 'viewer',
    input: (id) => ({ range: '24h', machineId: id, tzOffsetMinutes: 0 }),
  },
  'machines.get': { minimum: 'viewer', input: (id) => ({ id }) },
  'machines.live': { minimum: 'viewer', input: (id) => ({ id }) },
  'machines.history': { minimum: 'viewer', input: (id) => ({ id }) },
  'machines.logs': { minimum: 'viewer', input: (id) => ({ id, limit: 10 }), notAudited: true },
  'machines.rename': { minimum: 'operator', input: (id) => ({ id, name: 'Renamed' }) },
  'machines.remove': { minimum: 'admin', input: () => ({ id: 'no-such-machine' }) },
  'machines.addCode': { minimum: 'admin', input: (_id, url) => ({ consoleUrl: url }) },
  'profiles.list': { minimum: 'viewer' },
  'profiles.preview': { minimum: 'viewer', input: () => ({ profileId: 999 }) },
  'profiles.machine': { minimum: 'viewer', input: (id) => ({ id }) },
  'profiles.create': { minimum: 'operator', input: () => ({ name: 'roles', limits: {}, rules: [] }) },
  'profiles.update': {
    minimum: 'operator',
    input: () => ({ id: 999, name: 'roles', limits: {}, rules: [] }),
  },
  'profiles.remove': { minimum: 'operator', input: () => ({ id: 999 }) },
  'profiles.assign': {
    minimum: 'operator',
    input: (id) => ({ profileId: null, machineIds: [id], tags: [] }),
  },
  'profiles.send': { minimum: 'operator', input: (id) => ({ profileId: 999, machineIds: [id] }) },
  'profiles.setOverrides': { minimum: 'operator', input: (id) => ({ id, limits: {}, rules: [] }) },
  'timeline.machine': {
    minimum: 'viewer',
    input: (id) => ({ machineId: id, from: Date.now() - 60_000, to: Date.now() }),
  },
  'users.list': { minimum: 'admin' },
  'updates.get': { minimum: 'viewer' },
  'updates.start': { minimum: 'admin', input: () => ({ sha256: 'f'.repeat(64) }) },
  'updates.cancel': { minimum: 'admin' },
  'users.add': {
    minimum: 'admin',
    input: () => ({ username: 'x'.repeat(40), password: 'long enough pass' }),
  },
  'users.setRole': { minimum: 'admin', input: () => ({ id: 999, role: 'viewer' }) },
  'users.remove': { minimum: 'admin', input: () => ({ id: 999 }) },
};

let running: RunningConsole | undefined;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await running?.stop();
  running = undefined;
});

type Answer = 'login-first' | 'wrong-role' | 'accepted';

/** How the server answered: refused for want of a login, refused for the role, or let through. */
function answerOf(status: number, body: unknown): Answer {
  const message = (body as { error?: { message?: string } }).error?.message ?? '';
  if (status === 401 && message === 'Log in first.') return 'login-first';
  if (status === 403 && /you are a/.test(message)) return 'wrong-role';
  return 'accepted';
}

/** Opens a live feed as a browser does and reads until the first value or the refusal. */
async function subscriptionAnswer(r: RunningConsole, path: string, input: unknown, cookie?: string) {
  const url = new URL(`/api/trpc/${path}`, r.url);
  if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(cookie ? { cookie } : {}) },
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      text += new TextDecoder().decode(value ?? new Uint8Array());
      if (/UNAUTHORIZED/.test(text)) return 'login-first';
      if (/FORBIDDEN/.test(text)) return 'wrong-role';
      if (/\ndata: \{/.test(`\n${text}`) && !/event: serialized-error/.test(text)) return 'accepted';
      if (done) throw new Error(`${path}: stream ended without an answer: ${text}`);
    }
  } finally {
    controller.abort();
  }
}

const expected = (minimum: Minimum, role: Role | null): Answer => {
  if (minimum === 'public') return 'accepted';
  if (role === null) return 'login-first';
  return hasRole(role, minimum) ? 'accepted' : 'wrong-role';
};

describe('roles on the server', () => {
  it('has a role decision for every procedure of the router', () => {
    expect(Object.keys(appRouter._def.procedures).sort()).toEqual(Object.keys(PROCEDURES).sort());
  });

  it('refuses every procedure below its role and accepts it from that role on; accepted changes are audited', async () => {
    running = await startTestConsole();
    const r = running;
    const sessions = await sessionsByRole(r);
    const paired = await pairSimulatedAgent(r, sessions.admin, 'role-box');
    stops.push(() => paired.client.stop());
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
    const seen: string[] = [];
    for (const [path, spec] of Object.entries(PROCEDURES)) {
      const kind = procedures[path]?._def.type;
      const input = spec.input?.(paired.machineId, r.url);
      for (const role of [null, ...ROLES] as const) {
        let cookie = role ? sessions[role] : undefined;
        if (spec.freshSession && role) cookie = await sessions.add(`fresh-${role}`, role);
        const answer =
          kind === 'subscription'
            ? await subscriptionAnswer(r, path, input, cookie)
            : await call(
                r,
                kind === 'query' ? 'query' : 'mutation',
                path,
                input,
                cookie ? { cookie } : {},
              ).then(({ status, body }) => answerOf(status, body));
        expect(answer, `${path} as ${role ?? 'nobody'}`).toBe(expected(spec.minimum, role));
      }
      seen.push(path);
    }
    expect(seen.length).toBe(Object.keys(procedures).length);

    const actions = new Set((await r.core.audit.list({ limit: 200 })).map((entry) => entry.action));
    for (const [path, spec] of Object.entries(PROCEDURES)) {
      const audited = procedures[path]?._def.type === 'mutation' && !spec.notAudited;
      expect(actions.has(path), `${path} in the audit trail`).toBe(audited);
    }
  });
});

describe('changing roles', () => {
  it('applies a new role from the next request, and keeps the last admin an admin', async () => {
    running = await startTestConsole();
    const r = running;
    const sessions = await sessionsByRole(r);
    const paired = await pairSimulatedAgent(r, sessions.admin, 'role-box');
    stops.push(() => paired.client.stop());
    const asAdmin = (path: string, input: unknown) =>
      call(r, 'mutation', path, input, { cookie: sessions.admin });
    const users = dataOf<{ id: number; username: string; role: Role }[]>(
      (await call(r, 'query', 'users.list', undefined, { cookie: sessions.admin })).body,
    );
    const idOf = (name: string) => users.find((user) => user.username === name)?.id;
    const resume = { ids: [paired.machineId], command: { type: 'resume' } };
    const operatorResumes = () => call(r, 'mutation', 'fleet.command', resume, { cookie: sessions.operator });

    expect((await operatorResumes()).status).toBe(200);
    const demoted = await asAdmin('users.setRole', { id: idOf('operator'), role: 'viewer' });
    expect(dataOf(demoted.body)).toMatchObject({ username: 'operator', role: 'viewer' });
    expect((await operatorResumes()).status).toBe(403);
    const status = await call(r, 'query', 'auth.status', undefined, { cookie: sessions.operator });
    expect(dataOf(status.body)).toMatchObject({ user: { username: 'operator', role: 'viewer' } });

    const alone = await asAdmin('users.setRole', { id: idOf('admin'), role: 'operator' });
    expect([alone.status, errorCode(alone.body)]).toEqual([412, 'PRECONDITION_FAILED']);
    expect((await asAdmin('users.setRole', { id: idOf('viewer'), role: 'admin' })).status).toBe(200);
    expect((await asAdmin('users.setRole', { id: idOf('admin'), role: 'operator' })).status).toBe(200);
    // The first admin is an operator now: user management is refused to it at once.
    expect((await call(r, 'query', 'users.list', undefined, { cookie: sessions.admin })).status).toBe(403);
    expect((await asAdmin('users.setRole', { id: 999, role: 'viewer' })).status).toBe(403);
  });
});

const errorCode = (body: unknown) => (body as { error: { data: { code: string } } }).error.data.code;
