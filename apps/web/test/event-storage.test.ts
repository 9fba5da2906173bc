// How the console stores the events agents send: a frame's data lives in `frames` alone (no second copy
// in `events`), errors and stopped jobs keep their whole event, and every event is stored once per
// (machine, boot, seq) however often it is replayed, also after an upgrade from a database that still
// held the frame events. Real databases in temp dirs, all migrations.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent, JobPhaseSpan } from '@flock/protocol';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import { TimelineRepo } from '../src/server/db/timeline-repo';
import { DAY_MS, HOUR_MS } from '../src/server/history/buckets';
import { HistoryRepo } from '../src/server/history/repo';
import { historyDaily } from '../src/server/history/schema';
import { HistoryService } from '../src/server/history/service';
import { Sweeper } from '../src/server/sweeper';
import { tempDir } from './support/console';

const MIGRATIONS = join(import.meta.dirname, '..', 'drizzle');
/** 2026-03-10 00:00 UTC. */
const DAY0 = Date.UTC(2026, 2, 10);
const AT = DAY0 + 10 * HOUR_MS;

function fixture(file = join(tempDir('flock-events-'), 'console.sqlite')) {
  const database = openDatabase(file);
  const clock = { now: AT };
  const history = new HistoryService(new HistoryRepo(database.db), () => clock.now);
  const repo = new ConsoleRepo(database.db, history.repo);
  const sqlite = (database.db as unknown as { $client: Database.Database }).$client;
  const kinds = () =>
    (sqlite.prepare('select kind from events order by id').all() as { kind: string }[]).map((r) => r.kind);
  return { database, repo, history, clock, kinds, file };
}

const phases: JobPhaseSpan[] = [
  { phase: 'download', startedAt: AT - 900, endedAt: AT - 800 },
  { phase: 'render', startedAt: AT - 800, endedAt: AT - 100 },
];
const frameDone = (jobId: string, credits: number | null): Extract<AgentEvent, { kind: 'frame-done' }> => ({
  kind: 'frame-done',
  jobId,
  project: 'Sheep',
  frame: 7,
  renderTimeMs: 700,
  credits,
  thumbnail: null,
  phases,
});
const credits = (jobId: string, amount: number): AgentEvent => ({
  kind: 'frame-credits',
  frames: [{ jobId, credits: amount }],
});
const failed: AgentEvent = {
  kind: 'error',
  jobId: 'j2',
  code: 'RENDERER_CRASHED',
  message: 'Blender exited with code 139',
  logExcerpt: 'Fra:12 Mem:512.00M | Rendering 12 / 64 samples\n'.repeat(40),
  phases,
};

async function dailySums(history: HistoryService, machineId: string) {
  const key = await history.repo.findMachineKey(machineId);
  return key === undefined ? [] : history.repo.sumsByBucket(historyDaily, key, 0, Number.MAX_SAFE_INTEGER);
}

describe('event storage', () => {
  it('keeps a frame in frames alone and errors whole, and stores every event once however often it is replayed', async () => {
    const { database, repo, history, kinds } = fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    const sent: [number, AgentEvent][] = [
      [0, frameDone('j1', null)],
      [1, credits('j1', 4)],
      [2, failed],
    ];
    const stored = [];
    for (const [seq, event] of sent)
      stored.push(await repo.insertEvent('m1', 'boot-a', seq, AT + seq, event));
    // Replayed: all of them, then the last two again (an ack lost twice).
    for (const [seq, event] of [...sent, ...sent.slice(1)])
      stored.push(await repo.insertEvent('m1', 'boot-a', seq, AT + seq, event));
    expect(stored).toEqual([true, true, true, false, false, false, false, false]);

    expect(kinds()).toEqual(['error']);
    expect(await repo.recentFrames('m1', 20)).toMatchObject([
      { jobId: 'j1', project: 'Sheep', frame: 7, renderTimeMs: 700, credits: 4, finishedAt: AT, phases },
    ]);
    const errors = await repo.recentErrors('m1', 20);
    expect(errors.map((row) => row.payload)).toEqual([failed]);
    const jobs = await new TimelineRepo(database.db).jobsBetween('m1', AT - HOUR_MS, AT + HOUR_MS, 0, 100);
    expect(jobs.map(({ jobId, outcome }) => [jobId, outcome])).toEqual([
      ['j1', 'rendered'],
      ['j2', 'failed'],
    ]);
    expect(await dailySums(history, 'm1')).toMatchObject([
      { bucket: DAY0, frames: 1, credits: 4, errors: 1 },
    ]);

    // The same seq from another boot, or of another machine, is another event.
    await repo.createMachine('m2', 'render-02', 'h', DAY0);
    expect(await repo.insertEvent('m1', 'boot-b', 0, AT + 10, frameDone('j3', 2))).toBe(true);
    expect(await repo.insertEvent('m2', 'boot-a', 0, AT + 10, frameDone('j4', 3))).toBe(true);
    expect((await repo.recentFrames('m1', 20)).map((f) => f.jobId)).toEqual(['j3', 'j1']);
    expect(await dailySums(history, 'm1')).toMatchObject([{ frames: 2, credits: 6, errors: 1 }]);
    database.close();
  });

  it('credits a re-rendered job once when its credits are replayed', async () => {
    const { database, repo } = fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    await repo.insertEvent('m1', 'boot-a', 0, AT, frameDone('j1', null));
    await repo.insertEvent('m1', 'boot-a', 1, AT + 1, frameDone('j1', null));
    expect(await repo.insertEvent('m1', 'boot-a', 2, AT + 2, credits('j1', 5))).toBe(true);
    expect(await repo.insertEvent('m1', 'boot-a', 2, AT + 2, credits('j1', 5))).toBe(false);
    expect((await repo.recentFrames('m1', 20)).map((f) => f.credits)).toEqual([5, null]);
    database.close();
  });

  it('forgets what it stored of a boot with the raw rows, 30 days on', async () => {
    const { database, repo, history, clock, file } = fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    await repo.insertEvent('m1', 'boot-a', 0, AT, frameDone('j1', 1));
    await repo.insertEvent('m1', 'boot-b', 0, AT + 20 * DAY_MS, frameDone('j2', 1));
    const origins = () => {
      const sqlite = new Database(file, { readonly: true });
      const rows = sqlite.prepare('select boot_id as bootId from event_origins').all();
      sqlite.close();
      return rows;
    };
    expect(origins()).toHaveLength(2);
    clock.now = AT + 31 * DAY_MS;
    await new Sweeper(repo, () => clock.now, { history }).sweep();
    expect(origins()).toEqual([{ bootId: 'boot-b' }]);
    database.close();
  });
});

describe('frame thumbnails', () => {
  it('keeps the newest thumbnails and frame rows that do not grow with the thumbnails that came and went', async () => {
    const { database, repo, file } = fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    const FRAMES = 300;
    // A 160-pixel JPEG is about 6 KB: 8 KB of base64.
    const thumbnail = (n: number) => ({ mime: 'image/jpeg' as const, base64: `${n}`.padEnd(8 * 1024, 'A') });
    for (let n = 0; n < FRAMES; n++)
      await repo.insertEvent('m1', 'boot-a', n, AT + n, {
        ...frameDone(`j${n}`, 1),
        thumbnail: thumbnail(n),
      });

    const stored = await repo.recentFrames('m1', FRAMES);
    expect(stored).toHaveLength(FRAMES);
    expect(stored[0]?.thumbnail).toBe(`data:image/jpeg;base64,${thumbnail(FRAMES - 1).base64}`);
    expect(stored.filter((f) => f.thumbnail).map((f) => f.jobId)).toEqual(['j299', 'j298', 'j297']);

    database.db.run(sql`pragma wal_checkpoint(TRUNCATE)`);
    const sqlite = new Database(file, { readonly: true });
    const pages = sqlite.prepare("select sum(pgsize) as bytes from dbstat where name = 'frames'").get() as {
      bytes: number;
    };
    sqlite.close();
    // A frame's row (ids, project, times, credits, its phases) is about 200 bytes; an 8 KB thumbnail
    // kept in it leaves about 500 bytes of each page taken for good once it is dropped.
    expect(pages.bytes / FRAMES).toBeLessThan(300);
    database.close();
  });
});

describe('frame phases', () => {
  it("stores a job's five phases in under 80 bytes and reads them back as the agent sent them", async () => {
    const { database, repo, file } = fixture();
    await repo.createMachine('m1', 'render-01', 'h', DAY0);
    const five: JobPhaseSpan[] = [
      { phase: 'download', startedAt: AT - 600_000, endedAt: AT - 580_000 },
      { phase: 'extract', startedAt: AT - 580_000, endedAt: AT - 578_000 },
      { phase: 'prepare', startedAt: AT - 577_000, endedAt: AT - 572_000 },
      { phase: 'render', startedAt: AT - 572_000, endedAt: AT - 12_345 },
      { phase: 'upload', startedAt: AT - 12_345, endedAt: AT },
    ];
    await repo.insertEvent('m1', 'boot-a', 0, AT, { ...frameDone('j1', 1), phases: five });
    await repo.insertEvent('m1', 'boot-a', 1, AT + 1, { ...frameDone('j2', 1), phases: [] });
    expect((await repo.recentFrames('m1', 20)).map((f) => f.phases)).toEqual([[], five]);
    const jobs = await new TimelineRepo(database.db).jobsBetween('m1', AT - HOUR_MS, AT + HOUR_MS, 0, 100);
    expect(jobs.find((job) => job.jobId === 'j1')?.phases).toEqual(five);

    const sqlite = new Database(file, { readonly: true });
    const stored = sqlite.prepare("select length(phases) as n from frames where job_id = 'j1'").get() as {
      n: number;
    };
    sqlite.close();
    expect(stored.n).toBeLessThan(80);
    database.close();
  });
});

describe('event storage migration', () => {
  it('drops the frame events a database already held, still stores a replay of them once, keeps its thumbnails and phases', async () => {
    const file = join(tempDir('flock-events-'), 'console.sqlite');
    const folder = tempDir('flock-migrations-');
    mkdirSync(join(folder, 'meta'));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8'));
    journal.entries = journal.entries.filter((entry: { tag: string }) => entry.tag < '0010');
    for (const { tag } of journal.entries)
      copyFileSync(join(MIGRATIONS, `${tag}.sql`), join(folder, `${tag}.sql`));
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
    const before = new Database(file);
    migrate(drizzle(before), { migrationsFolder: folder });
    before.prepare("insert into machines (id, name, created_at) values ('m1', 'render-01', 1)").run();
    const event = before.prepare(
      "insert into events (machine_id, boot_id, seq, kind, at, payload) values ('m1', 'boot-a', ?, ?, ?, ?)",
    );
    event.run(0, 'frame-done', AT, JSON.stringify(frameDone('j1', null)));
    event.run(1, 'frame-credits', AT + 1, JSON.stringify(credits('j1', 4)));
    event.run(2, 'error', AT + 2, JSON.stringify(failed));
    before
      .prepare(
        "insert into frames (machine_id, job_id, project, frame, render_time_ms, credits, thumbnail, finished_at, phases) values ('m1', 'j1', 'Sheep', 7, 700, 4, 'data:image/png;base64,AAAA', ?, ?)",
      )
      .run(AT, JSON.stringify(phases));
    before.close();

    const { database, repo, kinds } = fixture(file);
    expect(kinds()).toEqual(['error']);
    expect(await repo.insertEvent('m1', 'boot-a', 0, AT, frameDone('j1', null))).toBe(false);
    expect(await repo.insertEvent('m1', 'boot-a', 1, AT + 1, credits('j1', 4))).toBe(false);
    expect(await repo.insertEvent('m1', 'boot-a', 3, AT + 3, frameDone('j5', 1))).toBe(true);
    expect((await repo.recentFrames('m1', 20)).map((f) => [f.jobId, f.credits, f.thumbnail])).toEqual([
      ['j5', 1, null],
      ['j1', 4, 'data:image/png;base64,AAAA'],
    ]);
    expect((await repo.recentFrames('m1', 20))[1]?.phases).toEqual(phases);
    expect((await repo.recentErrors('m1', 20)).map((row) => row.payload)).toEqual([failed]);
    database.close();
  });
});
