import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '@flock/protocol';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import { DAY_MS, HOUR_MS } from '../src/server/history/buckets';
import { FLEET_KEY, HistoryRepo } from '../src/server/history/repo';
import { historyDaily, historyHourly, historyMachines } from '../src/server/history/schema';
import { HistoryService } from '../src/server/history/service';
import { Fleet } from '../src/server/link/fleet';
import { Sweeper } from '../src/server/sweeper';
import { tempDir } from './support/console';

const MIGRATIONS = join(import.meta.dirname, '..', 'drizzle');
/** 2026-03-10 00:00 UTC: a day start, far from any epoch edge. */
const DAY0 = Date.UTC(2026, 2, 10);

/** A console database in a temp dir with the repositories the console builds on it. */
function fixture(file = join(tempDir('flock-history-'), 'console.sqlite')) {
  const database = openDatabase(file);
  const clock = { now: DAY0 };
  const history = new HistoryService(new HistoryRepo(database.db), () => clock.now);
  const repo = new ConsoleRepo(database.db, history.repo);
  return { database, repo, history, clock };
}

const frameDone = (
  jobId: string,
  project: string,
  credits: number | null,
  renderTimeMs = 60_000,
): AgentEvent => ({
  kind: 'frame-done',
  jobId,
  project,
  frame: 1,
  renderTimeMs,
  credits,
  thumbnail: null,
});
const error: AgentEvent = {
  kind: 'error',
  jobId: null,
  code: 'render',
  message: 'Blender crashed',
  logExcerpt: '',
};

/** Every bucket of a roll-up table for one machine id (or the fleet), as plain rows. */
async function rows(
  history: HistoryService,
  table: typeof historyHourly | typeof historyDaily,
  machineId?: string,
) {
  const key = machineId === undefined ? FLEET_KEY : await history.repo.findMachineKey(machineId);
  if (key === undefined) return [];
  return history.repo.sumsByBucket(table, key, 0, Number.MAX_SAFE_INTEGER);
}

describe('history roll-ups', () => {
  it('sums frames, credits, render time and errors per hour and day, once per event, late ones in their own hour', async () => {
    const { database, repo, history } = await fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    await repo.createMachine('m2', 'render-02', 'h', DAY0);
    const at = DAY0 + 10 * HOUR_MS;
    await repo.insertEvent('m1', 'boot-a', 1, at + 59 * 60_000, frameDone('j1', 'Sheep', 4));
    await repo.insertEvent('m1', 'boot-a', 1, at + 59 * 60_000, frameDone('j1', 'Sheep', 4)); // a replay
    await repo.insertEvent('m1', 'boot-a', 2, at + 60 * 60_000, frameDone('j2', 'Sheep', null)); // next hour, no credits yet
    await repo.insertEvent('m1', 'boot-a', 3, at + 61 * 60_000, error);
    await repo.insertEvent('m2', 'boot-b', 1, at, frameDone('j9', 'Goat', 2));
    // Reconciled hours later: the frame's own time decides its bucket, and its credits follow it.
    await repo.insertEvent('m1', 'boot-a', 4, at + 5 * HOUR_MS, {
      kind: 'frame-credits',
      frames: [{ jobId: 'j2', credits: 3 }],
    });
    await repo.insertEvent('m1', 'boot-c', 1, at - 3 * HOUR_MS, frameDone('j0', 'Sheep', 1));

    const hour = (start: number, sums: Partial<Record<string, number>>) => ({
      bucket: start,
      frames: 0,
      credits: 0,
      renderTimeMs: 0,
      errors: 0,
      onlineMs: 0,
      ...sums,
    });
    expect(await rows(history, historyHourly, 'm1')).toEqual([
      hour(at - 3 * HOUR_MS, { frames: 1, credits: 1, renderTimeMs: 60_000 }),
      hour(at, { frames: 1, credits: 4, renderTimeMs: 60_000 }),
      hour(at + HOUR_MS, { frames: 1, credits: 3, renderTimeMs: 60_000, errors: 1 }),
    ]);
    expect(await rows(history, historyDaily, 'm1')).toEqual([
      hour(DAY0, { frames: 3, credits: 8, renderTimeMs: 180_000, errors: 1 }),
    ]);
    expect(await rows(history, historyDaily)).toEqual([
      hour(DAY0, { frames: 4, credits: 10, renderTimeMs: 240_000, errors: 1 }),
    ]);
    database.close();
  });

  it('keeps a removed machine and its name in the fleet history', async () => {
    const { database, repo, history } = await fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    await repo.insertEvent('m1', 'boot-a', 1, DAY0 + HOUR_MS, frameDone('j1', 'Sheep', 4));
    await repo.revokeMachine('m1', DAY0 + 2 * HOUR_MS);
    // Even a machine row deleted outright (its frames and events cascade) leaves its history.
    database.db.run(sql`delete from machines where id = 'm1'`);
    expect(await rows(history, historyDaily)).toMatchObject([{ bucket: DAY0, frames: 1, credits: 4 }]);
    expect(await rows(history, historyDaily, 'm1')).toMatchObject([{ bucket: DAY0, frames: 1, credits: 4 }]);
    expect(database.db.select().from(historyMachines).all()).toMatchObject([
      { machineId: 'm1', name: 'render-01' },
    ]);
    database.close();
  });

  it('counts connected time from connect to disconnect, split at hour and day edges', async () => {
    const { database, repo, history, clock } = await fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    const fleet = new Fleet(repo, () => clock.now, history);
    await fleet.load();
    const hello = { machine: {} } as never;
    clock.now = DAY0 - 30 * 60_000; // 23:30 the day before
    fleet.connected('m1', hello);
    clock.now = DAY0 + 15 * 60_000;
    await history.flushOnline(); // a sweep while connected
    clock.now = DAY0 + 90 * 60_000;
    fleet.disconnected('m1');
    clock.now = DAY0 + 3 * HOUR_MS;
    await history.flushOnline();
    const online = async (table: typeof historyHourly | typeof historyDaily) =>
      (await rows(history, table, 'm1')).map(({ bucket, onlineMs }) => [bucket, onlineMs]);
    expect(await online(historyHourly)).toEqual([
      [DAY0 - HOUR_MS, 30 * 60_000],
      [DAY0, HOUR_MS],
      [DAY0 + HOUR_MS, 30 * 60_000],
    ]);
    expect(await online(historyDaily)).toEqual([
      [DAY0 - DAY_MS, 30 * 60_000],
      [DAY0, 90 * 60_000],
    ]);
    database.close();
  });

  it('deletes raw frames and events after 30 days and machine hours after 90; days and the fleet stay', async () => {
    const { database, repo, history, clock } = await fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    await repo.insertEvent('m1', 'boot-a', 1, DAY0 + HOUR_MS, frameDone('j1', 'Sheep', 4));
    await repo.insertEvent('m1', 'boot-a', 2, DAY0 + 40 * DAY_MS, frameDone('j2', 'Sheep', 2));
    // A frame's events are stored as its frames row; an error keeps an events row.
    await repo.insertEvent('m1', 'boot-a', 3, DAY0 + HOUR_MS + 1, error);
    await repo.insertEvent('m1', 'boot-a', 4, DAY0 + 40 * DAY_MS + 1, error);
    const sweeper = new Sweeper(repo, () => clock.now, { history });

    clock.now = DAY0 + 31 * DAY_MS;
    expect((await sweeper.sweep()).history).toEqual({ frames: 1, events: 1, hourly: 0 });
    expect((await repo.recentFrames('m1', 10)).map((frame) => frame.jobId)).toEqual(['j2']);
    expect(await rows(history, historyHourly, 'm1')).toMatchObject([
      { bucket: DAY0 + HOUR_MS, frames: 1 },
      { bucket: DAY0 + 40 * DAY_MS, frames: 1 },
    ]);

    clock.now = DAY0 + 91 * DAY_MS;
    // The second frame's raw rows go too (past 30 days); the first one's machine hour (past 90): its
    // project's row and the row of its error.
    expect((await sweeper.sweep()).history).toEqual({ frames: 1, events: 1, hourly: 2 });
    expect(await rows(history, historyHourly, 'm1')).toMatchObject([
      { bucket: DAY0 + 40 * DAY_MS, frames: 1 },
    ]);
    expect(await rows(history, historyHourly)).toHaveLength(2); // the fleet's hours stay 400 days
    expect(await rows(history, historyDaily, 'm1')).toMatchObject([
      { bucket: DAY0, frames: 1, credits: 4 },
      { bucket: DAY0 + 40 * DAY_MS, frames: 1, credits: 2 },
    ]);

    clock.now = DAY0 + 401 * DAY_MS;
    // The fleet's first hour (past 400 days: its project's row, its error's and its all-projects row)
    // and the machine's second (past 90, with its error's row).
    expect((await sweeper.sweep()).history).toEqual({ frames: 0, events: 0, hourly: 5 });
    expect(await rows(history, historyHourly)).toMatchObject([{ bucket: DAY0 + 40 * DAY_MS, frames: 1 }]);
    expect(await rows(history, historyDaily)).toHaveLength(2);
    database.close();
  });
});

describe('history migration', () => {
  it('rolls up the frames and errors a console upgraded with data already has', async () => {
    const file = join(tempDir('flock-history-'), 'console.sqlite');
    const folder = tempDir('flock-migrations-');
    mkdirSync(join(folder, 'meta'));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8'));
    journal.entries = journal.entries.filter((entry: { tag: string }) => entry.tag < '0007');
    for (const { tag } of journal.entries)
      copyFileSync(join(MIGRATIONS, `${tag}.sql`), join(folder, `${tag}.sql`));
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
    const before = new Database(file);
    migrate(drizzle(before), { migrationsFolder: folder });
    before.prepare("insert into machines (id, name, created_at) values ('m1', 'render-01', 1)").run();
    const frame = before.prepare(
      "insert into frames (machine_id, job_id, project, frame, render_time_ms, credits, finished_at) values ('m1', ?, ?, 1, 1000, ?, ?)",
    );
    frame.run('j1', 'Sheep', 4, DAY0 + 10 * HOUR_MS);
    frame.run('j2', 'Sheep', null, DAY0 + 10 * HOUR_MS + 1);
    frame.run('j3', 'Goat', 2, DAY0 + 30 * HOUR_MS);
    before
      .prepare(
        "insert into events (machine_id, boot_id, seq, kind, at, payload) values ('m1', 'b', 1, 'error', ?, '{}')",
      )
      .run(DAY0 + 11 * HOUR_MS);
    before.close();

    const { database, history } = fixture(file);
    expect(await rows(history, historyHourly, 'm1')).toMatchObject([
      { bucket: DAY0 + 10 * HOUR_MS, frames: 2, credits: 4, renderTimeMs: 2000, errors: 0 },
      { bucket: DAY0 + 11 * HOUR_MS, frames: 0, errors: 1 },
      { bucket: DAY0 + 30 * HOUR_MS, frames: 1, credits: 2 },
    ]);
    expect(await rows(history, historyDaily)).toMatchObject([
      { bucket: DAY0, frames: 2, credits: 4, errors: 1 },
      { bucket: DAY0 + DAY_MS, frames: 1, credits: 2 },
    ]);
    database.close();
  });
});
