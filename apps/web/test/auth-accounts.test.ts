import { afterEach, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import { ADMIN_PASSWORD, call, dataOf, login, seenResponses, startTestConsole } from './support/console';
import { readSubscription } from './support/sse';

const ANA_PASSWORD = 'ana has a long password';
const NEW_PASSWORD = 'a brand new long password';

let running: RunningConsole | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** A console whose clock the test moves, so the 5-per-minute password limit can be waited out instantly. */
async function start() {
  const clock = { now: Date.now() };
  running = await startTestConsole({ now: () => clock.now });
  const r = running;
  const admin = await login(r);
  const nextMinute = () => {
    clock.now += 61_000;
  };
  const as = (cookie: string) => ({
    query: (path: string, input?: unknown) => call(r, 'query', path, input, { cookie }),
    mutate: (path: string, input?: unknown) => call(r, 'mutation', path, input, { cookie }),
  });
  const logIn = async (username: string, password: string) => {
    const { status, setCookie } = await call(r, 'mutation', 'auth.login', { username, password });
    return status === 200 ? (setCookie?.split(';')[0] ?? '') : status;
  };
  return { r, admin, as, logIn, nextMinute };
}

type UserInfo = { id: number; username: string; role: string };
const errorCode = (body: unknown) => (body as { error: { data: { code: string } } }).error.data.code;

describe('console users', () => {
  it('keeps the new procedures behind the login, and user management behind the admin role', async () => {
    const { r, admin, as, logIn } = await start();
    for (const [kind, path, input] of [
      ['mutation', 'auth.changePassword', { current: ADMIN_PASSWORD, next: NEW_PASSWORD }],
      ['query', 'users.list', undefined],
      ['mutation', 'users.add', { username: 'eve', password: NEW_PASSWORD }],
      ['mutation', 'users.remove', { id: 1 }],
    ] as const) {
      expect((await call(r, kind, path, input)).status, path).toBe(401);
    }
    expect((await as(admin).mutate('users.add', { username: 'Ana', password: ANA_PASSWORD })).status).toBe(
      200,
    );
    const ana = await logIn('ana', ANA_PASSWORD);
    expect(typeof ana).toBe('string');
    const asAna = as(ana as string);
    expect(dataOf((await asAna.query('auth.status')).body)).toMatchObject({
      user: { username: 'ana', role: 'operator' },
    });
    expect((await asAna.query('users.list')).status).toBe(403);
    expect((await asAna.mutate('users.add', { username: 'eve', password: NEW_PASSWORD })).status).toBe(403);
    expect((await asAna.mutate('users.remove', { id: 1 })).status).toBe(403);
    expect((await asAna.query('fleet.list')).status).toBe(200);
  });

  it('adds users with checked names and passwords; the login takes a user name', async () => {
    const { admin, as, logIn } = await start();
    const add = (username: string, password: string) => as(admin).mutate('users.add', { username, password });
    expect((await add('ana', ANA_PASSWORD)).status).toBe(200);
    expect(errorCode((await add('ANA', NEW_PASSWORD)).body)).toBe('CONFLICT');
    expect(errorCode((await add('ana lab', NEW_PASSWORD)).body)).toBe('BAD_REQUEST');
    expect(errorCode((await add('bob', 'short')).body)).toBe('BAD_REQUEST');
    const users = dataOf<UserInfo[]>((await as(admin).query('users.list')).body);
    expect(users.map((u) => [u.username, u.role])).toEqual([
      ['admin', 'admin'],
      ['ana', 'operator'],
    ]);
    expect(await logIn('ana', ADMIN_PASSWORD)).toBe(401);
    expect(typeof (await logIn(' Ana ', ANA_PASSWORD))).toBe('string');
  });

  it('changes a password only with the current one, and ends the other sessions of that user', async () => {
    const { admin, as, logIn, nextMinute } = await start();
    const other = (await logIn('admin', ADMIN_PASSWORD)) as string;
    const change = (current: string, next: string) =>
      as(admin).mutate('auth.changePassword', { current, next });

    const wrong = await change('not the password', NEW_PASSWORD);
    expect([wrong.status, errorCode(wrong.body)]).toEqual([403, 'FORBIDDEN']);
    expect(errorCode((await change(ADMIN_PASSWORD, 'short')).body)).toBe('BAD_REQUEST');
    expect((await as(other).query('fleet.list')).status).toBe(200); // nothing changed yet

    expect((await change(ADMIN_PASSWORD, NEW_PASSWORD)).status).toBe(200);
    expect((await as(admin).query('fleet.list')).status).toBe(200);
    expect((await as(other).query('fleet.list')).status).toBe(401);
    nextMinute();
    expect(await logIn('admin', ADMIN_PASSWORD)).toBe(401);
    expect(typeof (await logIn('admin', NEW_PASSWORD))).toBe('string');
  });

  it('rate-limits guesses of the current password like logins', async () => {
    const { admin, as } = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const guess = { current: `guess number ${i}`, next: NEW_PASSWORD };
      statuses.push((await as(admin).mutate('auth.changePassword', guess)).status);
    }
    // The admin's own (right) login did not count: five wrong guesses, then refused.
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429]);
  });

  it("ends a removed user's sessions and live feeds at once", async () => {
    const { r, admin, as, logIn } = await start();
    const added = dataOf<UserInfo>(
      (await as(admin).mutate('users.add', { username: 'ana', password: ANA_PASSWORD })).body,
    );
    const ana = (await logIn('ana', ANA_PASSWORD)) as string;
    const updates: unknown[] = [];
    const feed = readSubscription(
      `${r.url}/api/trpc/fleet.live`,
      ana,
      (data) => updates.push(data),
      new AbortController().signal,
    ).catch(() => {});
    await expect.poll(() => updates.length).toBeGreaterThan(0);
    const anaId = added.id;
    expect(r.core.auth.openStreams(anaId)).toBe(1);

    expect((await as(admin).mutate('users.remove', { id: anaId })).status).toBe(200);
    await feed; // resolves only when the server ended the stream
    expect(r.core.auth.openStreams(anaId)).toBe(0);
    expect((await as(ana).query('fleet.list')).status).toBe(401);
    expect(await logIn('ana', ANA_PASSWORD)).toBe(401);
    expect(errorCode((await as(admin).mutate('users.remove', { id: anaId })).body)).toBe('NOT_FOUND');
  });

  it('never removes the last admin', async () => {
    const { admin, as, logIn } = await start();
    const list = async () => dataOf<UserInfo[]>((await as(admin).query('users.list')).body);
    const adminId = (await list())[0]?.id;
    const alone = await as(admin).mutate('users.remove', { id: adminId });
    expect([alone.status, errorCode(alone.body)]).toEqual([412, 'PRECONDITION_FAILED']);

    await as(admin).mutate('users.add', { username: 'bob', password: NEW_PASSWORD, role: 'admin' });
    const bob = (await logIn('bob', NEW_PASSWORD)) as string;
    expect((await as(bob).mutate('users.remove', { id: adminId })).status).toBe(200);
    expect((await as(admin).query('fleet.list')).status).toBe(401);
    const bobId = dataOf<UserInfo[]>((await as(bob).query('users.list')).body)[0]?.id;
    expect(errorCode((await as(bob).mutate('users.remove', { id: bobId })).body)).toBe('PRECONDITION_FAILED');
  });

  it('never returns a password or a password hash', async () => {
    const { r, admin, as, logIn } = await start();
    await as(admin).mutate('users.add', { username: 'ana', password: ANA_PASSWORD });
    const ana = (await logIn('ana', ANA_PASSWORD)) as string;
    await as(ana).mutate('auth.changePassword', { current: ANA_PASSWORD, next: NEW_PASSWORD });
    await as(admin).query('users.list');
    await as(ana).query('auth.status');
    const secrets = [ADMIN_PASSWORD, ANA_PASSWORD, NEW_PASSWORD];
    for (const name of ['admin', 'ana']) {
      const hash = (await r.core.repo.findUser(name))?.passwordHash ?? '';
      secrets.push(hash, hash.split('$').at(-1) ?? '');
    }
    for (const body of seenResponses) for (const secret of secrets) expect(body).not.toContain(secret);
  });
});
