import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import type { RunningConsole } from '../src/server/start';
import { Sweeper } from '../src/server/sweeper';
import { call, login, startTestConsole, tempDir } from './support/console';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

afterEach(() => vi.useRealTimers());

/** A repository on a fresh database with one user, and a fake clock. */
async function fixture() {
  const database = openDatabase(join(tempDir('flock-sweep-'), 'console.sqlite'));
  const repo = new ConsoleRepo(database.db);
  const clock = { now: 1_000_000 };
  const userId = await repo.createUser('admin', 'scrypt$x', clock.now, 'admin');
  return { repo, clock, userId, close: database.close };
}

describe('sweeper', () => {
  it('deletes expired sessions and used or expired pairing codes, and keeps live ones', async () => {
    const { repo, clock, userId, close } = await fixture();
    const t = clock.now;
    await repo.createSession('expired', userId, t, t + MINUTE);
    await repo.createSession('expires-now', userId, t, t + 2 * MINUTE);
    await repo.createSession('live', userId, t, t + DAY);
    await repo.createPairingCode('expired-code', t, t + MINUTE);
    await repo.createPairingCode('used-code', t, t + DAY);
    await repo.createPairingCode('live-code', t, t + DAY);
    expect(await repo.consumePairingCode('used-code', 'machine-1', t)).toBe(true);

    clock.now = t + 2 * MINUTE;
    const sweeper = new Sweeper(repo, () => clock.now);
    expect(await sweeper.sweep()).toEqual({ sessions: 2, pairingCodes: 2, thumbnails: 0, auditEntries: 0 });

    expect(await repo.findSessionUser('live', clock.now)).toMatchObject({ id: userId });
    expect(await repo.consumePairingCode('live-code', 'machine-2', clock.now)).toBe(true);
    // The live code was just used, so the next sweep takes it; nothing else is left to delete.
    expect(await sweeper.sweep()).toEqual({ sessions: 0, pairingCodes: 1, thumbnails: 0, auditEntries: 0 });
    close();
  });

  it('sweeps at start and then every interval, until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { repo, clock, userId, close } = await fixture();
    for (const [token, lifetime] of [
      ['a', 1],
      ['b', 3],
      ['c', 5],
    ] as const)
      await repo.createSession(token, userId, clock.now, clock.now + lifetime * MINUTE);
    // Looked up at time 0 none is expired: undefined means the row is gone.
    const stored = async (token: string) => (await repo.findSessionUser(token, 0)) !== undefined;
    const sweeper = new Sweeper(repo, () => clock.now, 2 * MINUTE);

    clock.now += 2 * MINUTE;
    sweeper.start();
    await vi.waitFor(async () => expect(await stored('a')).toBe(false));
    expect(await stored('b')).toBe(true);

    clock.now += 2 * MINUTE;
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    await vi.waitFor(async () => expect(await stored('b')).toBe(false));
    expect(await stored('c')).toBe(true);

    await sweeper.stop();
    clock.now += 2 * MINUTE;
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(await stored('c')).toBe(true); // expired, but no sweep runs after stop()
    close();
  });
});

describe('the console runs the sweeper', () => {
  let running: RunningConsole | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  const rowCount = (dataDir: string, table: string): number => {
    const db = new Database(join(dataDir, 'console.sqlite'), { readonly: true });
    const { n } = db.prepare(`select count(*) as n from ${table}`).get() as { n: number };
    db.close();
    return n;
  };

  it('at start, with its own clock: rows that expired while it was down are gone, live sessions stay', async () => {
    const dataDir = tempDir('flock-console-');
    let now = Date.now();
    running = await startTestConsole({ dataDir, now: () => now, pairingCodeTtlMs: 10 * MINUTE });
    const cookie = await login(running);
    expect(
      (await call(running, 'mutation', 'machines.addCode', { consoleUrl: running.url }, { cookie })).status,
    ).toBe(200);
    await running.stop();
    expect(rowCount(dataDir, 'pairing_codes')).toBe(1);

    now += 11 * MINUTE;
    running = await startTestConsole({ dataDir, now: () => now });
    await running.core.sweeper.stop(); // waits for the sweep it ran at start
    expect(rowCount(dataDir, 'pairing_codes')).toBe(0);
    expect(rowCount(dataDir, 'sessions')).toBe(1);
    expect((await call(running, 'query', 'fleet.list', undefined, { cookie })).status).toBe(200);

    now += 15 * DAY; // past the session's lifetime: refused, and the next sweep deletes it
    expect((await call(running, 'query', 'fleet.list', undefined, { cookie })).status).toBe(401);
    expect(await running.core.sweeper.sweep()).toEqual({
      sessions: 1,
      pairingCodes: 0,
      thumbnails: 0,
      auditEntries: 0,
      history: { frames: 0, events: 0, hourly: 0 },
    });
    expect(rowCount(dataDir, 'sessions')).toBe(0);
  });
});
