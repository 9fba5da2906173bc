// What users read from the raw frames (machine page, timeline, today's counters, activity, digest,
// retention, history) stays the same with frames keyed by the history's integer machine key, on a new
// database and on one made by the schema before it; each reader finds its rows through an index.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '@flock/protocol';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it, vi } from 'vitest';
import { machineActivity, startOfLocalDay } from '../src/server/db/activity-repo';
import { openDatabase } from '../src/server/db/client';
import { encodePhaseSpans } from '../src/server/db/phase-spans';
import { ConsoleRepo } from '../src/server/db/repo';
import { TimelineRepo } from '../src/server/db/timeline-repo';
import { DAY_MS, HOUR_MS } from '../src/server/history/buckets';
import { HistoryRepo } from '../src/server/history/repo';
import { HistoryService } from '../src/server/history/service';
import { Fleet } from '../src/server/link/fleet';
import { tempDir } from './support/console';

const MIGRATIONS = join(import.meta.dirname, '..', 'drizzle');
/** Local noon of a day far from any epoch edge: today's counters start at the console's local midnight. */
const NOON = new Date(2026, 2, 10, 12, 0, 0).getTime();
const MIDNIGHT = startOfLocalDay(NOON);
const PHASES = [
  { phase: 'download', startedAt: NOON - 70_000, endedAt: NOON - 60_000 },
  { phase: 'render', startedAt: NOON - 60_000, endedAt: NOON - 10_000 },
  { phase: 'upload', startedAt: NOON - 10_000, endedAt: NOON - 1_000 },
] as const;

interface SqliteClient {
  prepare: Database.Database['prepare'];
}

/** A database file with the migrations before `firstLeftOut` applied, as an older console left it. */
function databaseBefore(file: string, firstLeftOut: string): Database.Database {
  const folder = tempDir('flock-migrations-');
  mkdirSync(join(folder, 'meta'));
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8'));
  journal.entries = journal.entries.filter((entry: { tag: string }) => entry.tag < firstLeftOut);
  for (const { tag } of journal.entries)
    copyFileSync(join(MIGRATIONS, `${tag}.sql`), join(folder, `${tag}.sql`));
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
  const sqlite = new Database(file);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  return sqlite;
}

function consoleOn(file: string, clock: { now: number }) {
  const database = openDatabase(file);
  const history = new HistoryService(new HistoryRepo(database.db), () => clock.now);
  const repo = new ConsoleRepo(database.db, history.repo);
  const sqlite = (database.db as unknown as { $client: SqliteClient }).$client;
  return { database, history, repo, sqlite, timeline: new TimelineRepo(database.db) };
}

/** Everything a user reads of the frames of machines `a` and `b` (b never got a history key before). */
async function whatUsersRead(opened: ReturnType<typeof consoleOn>, now: number) {
  const { repo, history, database, timeline } = opened;
  const recent = async (id: string) =>
    (await repo.recentFrames(id, 10)).map(
      ({ jobId, project, frame, credits, finishedAt, thumbnail, phases }) => ({
        jobId,
        project,
        frame,
        credits,
        finishedAt,
        thumbnail,
        phases,
      }),
    );
  const today = await history.repo.frameTotalsByMachineSince(MIDNIGHT);
  return {
    recentA: await recent('a'),
    recentB: await recent('b'),
    timelineA: (await timeline.jobsBetween('a', NOON - DAY_MS, NOON, HOUR_MS, 50)).map((job) => ({
      jobId: job.jobId,
      phases: job.phases,
      endedAt: job.endedAt,
    })),
    today: Object.fromEntries([...today.entries()].sort()),
    todayOfA: await history.repo.frameTotalsOfMachineSince('a', MIDNIGHT),
    digest: await repo.frameTotalsSince(now - DAY_MS),
    activity: (await machineActivity(database.db, { now, todayStart: MIDNIGHT })).sort((x, y) =>
      x.machineId.localeCompare(y.machineId),
    ),
  };
}

const EXPECTED = {
  recentA: [
    {
      jobId: 'j3',
      project: 'Goat',
      frame: 3,
      credits: null,
      finishedAt: NOON,
      thumbnail: 'data:image/jpeg;base64,AAAA',
      phases: PHASES,
    },
    {
      jobId: 'j2',
      project: 'Sheep',
      frame: 2,
      credits: 5,
      finishedAt: NOON - HOUR_MS,
      thumbnail: null,
      phases: null,
    },
    {
      jobId: 'j1',
      project: 'Sheep',
      frame: 1,
      credits: 4,
      finishedAt: MIDNIGHT - HOUR_MS,
      thumbnail: null,
      phases: null,
    },
  ],
  recentB: [
    {
      jobId: 'k1',
      project: 'Sheep',
      frame: 7,
      credits: 9,
      finishedAt: NOON - 2 * HOUR_MS,
      thumbnail: null,
      phases: null,
    },
  ],
  timelineA: [{ jobId: 'j3', phases: PHASES, endedAt: NOON }],
  today: { a: { frames: 2, credits: 5 }, b: { frames: 1, credits: 9 } },
  todayOfA: { frames: 2, credits: 5 },
  digest: { frames: 4, credits: 18 },
  activity: [
    { machineId: 'a', frames7d: 3, credits7d: 9, lastFrameAt: NOON, errorsToday: 0 },
    { machineId: 'b', frames7d: 1, credits7d: 9, lastFrameAt: NOON - 2 * HOUR_MS, errorsToday: 0 },
  ],
};

const frameDone = (jobId: string, frame: number, project: string, credits: number | null): AgentEvent => ({
  kind: 'frame-done',
  jobId,
  project,
  frame,
  renderTimeMs: 50_000,
  credits,
  thumbnail: null,
});

describe('frames keyed by the history machine key', () => {
  it('reads every frame the same as stored through the console', async () => {
    const clock = { now: NOON };
    const opened = consoleOn(join(tempDir('flock-frames-'), 'console.sqlite'), clock);
    const { repo } = opened;
    for (const id of ['a', 'b']) await repo.createMachine(id, `render-${id}`, 'hash', 0);
    await repo.insertEvent('a', 'boot', 1, MIDNIGHT - HOUR_MS, frameDone('j1', 1, 'Sheep', 4));
    await repo.insertEvent('a', 'boot', 2, NOON - HOUR_MS, frameDone('j2', 2, 'Sheep', null));
    await repo.insertEvent('a', 'boot', 3, NOON - HOUR_MS + 1, {
      kind: 'frame-credits',
      frames: [{ jobId: 'j2', credits: 5 }],
    });
    await repo.insertEvent('a', 'boot', 4, NOON, {
      kind: 'frame-done',
      jobId: 'j3',
      project: 'Goat',
      frame: 3,
      renderTimeMs: 50_000,
      credits: null,
      thumbnail: { mime: 'image/jpeg', base64: 'AAAA' },
      phases: [...PHASES],
    });
    await repo.insertEvent('b', 'boot', 1, NOON - 2 * HOUR_MS, frameDone('k1', 7, 'Sheep', 9));
    expect(await whatUsersRead(opened, NOON)).toEqual(EXPECTED);
    opened.database.close();
  });

  it('converts the frames of a database made by the schema before, and rolls the fleet up per hour', async () => {
    const file = join(tempDir('flock-frames-'), 'console.sqlite');
    const before = databaseBefore(file, '0012');
    for (const id of ['a', 'b'])
      before.prepare('insert into machines (id, name, created_at) values (?, ?, 0)').run(id, `render-${id}`);
    // Machine a has a history key already; b's frames predate its key (the migration gives it one).
    before.prepare("insert into history_machines (machine_id, name) values ('a', 'render-a')").run();
    const frame = before.prepare(
      'insert into frames (machine_id, job_id, project, frame, render_time_ms, credits, finished_at, phases) values (?, ?, ?, ?, 50000, ?, ?, ?) returning id',
    );
    frame.run('a', 'j1', 'Sheep', 1, 4, MIDNIGHT - HOUR_MS, null);
    frame.run('a', 'j2', 'Sheep', 2, 5, NOON - HOUR_MS, null);
    const { id } = frame.get(
      'a',
      'j3',
      'Goat',
      3,
      null,
      NOON,
      JSON.stringify(encodePhaseSpans([...PHASES])),
    ) as {
      id: number;
    };
    frame.run('b', 'k1', 'Sheep', 7, 9, NOON - 2 * HOUR_MS, null);
    before
      .prepare(
        "insert into frame_thumbnails (frame_id, machine_id, thumbnail) values (?, 'a', 'data:image/jpeg;base64,AAAA')",
      )
      .run(id);
    // The fleet's rows per hour and project (key 0) as the console wrote them: two projects in one hour.
    const rollUp = before.prepare(
      'insert into history_hourly (bucket, machine, project, frames, credits, render_time_ms, errors, online_ms) values (?, 0, ?, ?, ?, ?, ?, ?)',
    );
    rollUp.run(NOON - HOUR_MS, 1, 2, 5, 100_000, 0, 0);
    rollUp.run(NOON - HOUR_MS, 2, 1, 9, 50_000, 0, 0);
    rollUp.run(NOON - HOUR_MS, 0, 0, 0, 0, 1, 3_600_000);
    before
      .prepare(
        'insert into history_daily (bucket, machine, project, frames, credits, render_time_ms, errors, online_ms) values (?, 0, 1, 3, 14, 150000, 1, 3600000)',
      )
      .run(Math.floor(NOON / DAY_MS) * DAY_MS);
    before.close();

    const clock = { now: NOON };
    const opened = consoleOn(file, clock);
    expect(await whatUsersRead(opened, NOON)).toEqual(EXPECTED);
    const { sqlite } = opened;
    expect(sqlite.prepare('pragma foreign_key_check').all()).toEqual([]);
    expect(
      sqlite.prepare('select machine, count(*) as n from frames group by machine order by machine').all(),
    ).toEqual([
      { machine: 1, n: 3 },
      { machine: 2, n: 1 },
    ]);
    // One row per hour for the whole fleet, all projects together.
    expect(sqlite.prepare('select * from history_hourly where machine = -1').all()).toEqual([
      {
        bucket: NOON - HOUR_MS,
        machine: -1,
        project: 0,
        frames: 3,
        credits: 14,
        render_time_ms: 150_000,
        errors: 1,
        online_ms: 3_600_000,
      },
    ]);
    expect(sqlite.prepare('select frames, credits from history_daily where machine = -1').all()).toEqual([
      { frames: 3, credits: 14 },
    ]);
    const fleetDay = await opened.history.series({ range: '24h', tzOffsetMinutes: 0 });
    expect(fleetDay.buckets.reduce((sum, bucket) => sum + bucket.frames, 0)).toBe(3);
    expect(fleetDay.projects.map((share) => share.frames)).toEqual([2, 1]);
    opened.database.close();
  });

  it('names each frame’s project by its history key, also in a database made before that', async () => {
    const file = join(tempDir('flock-frames-'), 'console.sqlite');
    const before = databaseBefore(file, '0014');
    for (const id of ['a', 'b']) {
      before.prepare('insert into machines (id, name, created_at) values (?, ?, 0)').run(id, `render-${id}`);
      before.prepare('insert into history_machines (machine_id, name) values (?, ?)').run(id, `render-${id}`);
    }
    // Goat has a history key already (from the roll-ups); Sheep gets one from the migration.
    before.prepare("insert into history_projects (name) values ('Goat')").run();
    const frame = before.prepare(
      'insert into frames (machine, job_id, project, frame, render_time_ms, credits, finished_at, phases) values (?, ?, ?, ?, 50000, ?, ?, ?) returning id',
    );
    frame.run(1, 'j1', 'Sheep', 1, 4, MIDNIGHT - HOUR_MS, null);
    frame.run(1, 'j2', 'Sheep', 2, 5, NOON - HOUR_MS, null);
    const phases = JSON.stringify(encodePhaseSpans([...PHASES]));
    const { id } = frame.get(1, 'j3', 'Goat', 3, null, NOON, phases) as { id: number };
    frame.run(2, 'k1', 'Sheep', 7, 9, NOON - 2 * HOUR_MS, null);
    before
      .prepare(
        "insert into frame_thumbnails (frame_id, machine_id, thumbnail) values (?, 'a', 'data:image/jpeg;base64,AAAA')",
      )
      .run(id);
    before.close();

    const opened = consoleOn(file, { now: NOON });
    expect(await whatUsersRead(opened, NOON)).toEqual(EXPECTED);
    const { sqlite, repo } = opened;
    expect(sqlite.prepare('pragma foreign_key_check').all()).toEqual([]);
    const projectsOfRows = () =>
      sqlite
        .prepare(
          'select frames.job_id as jobId, typeof(frames.project) as type, history_projects.name from frames join history_projects on history_projects.key = frames.project order by frames.id',
        )
        .all();
    expect(projectsOfRows()).toEqual([
      { jobId: 'j1', type: 'integer', name: 'Sheep' },
      { jobId: 'j2', type: 'integer', name: 'Sheep' },
      { jobId: 'j3', type: 'integer', name: 'Goat' },
      { jobId: 'k1', type: 'integer', name: 'Sheep' },
    ]);
    // A frame stored from now on too; its credits granted later reach its project's roll-ups.
    await repo.insertEvent('b', 'boot', 1, NOON, frameDone('k2', 8, 'Llama', null));
    await repo.insertEvent('b', 'boot', 2, NOON + 1, {
      kind: 'frame-credits',
      frames: [{ jobId: 'k2', credits: 3 }],
    });
    expect(projectsOfRows().at(-1)).toEqual({ jobId: 'k2', type: 'integer', name: 'Llama' });
    expect((await repo.recentFrames('b', 1))[0]).toMatchObject({ jobId: 'k2', project: 'Llama', credits: 3 });
    const day = await opened.history.series({ range: '24h', tzOffsetMinutes: 0 });
    expect(day.projects).toContainEqual({ project: 'Llama', frames: 1, credits: 3, renderTimeMs: 50_000 });
    opened.database.close();
  });

  it('finds the rows of every reader of frames through the per-machine index, never a scan of the table', async () => {
    const clock = { now: NOON };
    const opened = consoleOn(join(tempDir('flock-frames-'), 'console.sqlite'), clock);
    const { repo, sqlite, history } = opened;
    for (const id of ['a', 'b']) await repo.createMachine(id, `render-${id}`, 'hash', 0);
    const statements = new Set<string>();
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((source: string) => {
      statements.add(source);
      return prepare(source);
    }) as SqliteClient['prepare'];
    await repo.insertEvent('a', 'boot', 1, NOON, frameDone('j1', 1, 'Sheep', null));
    await repo.insertEvent('a', 'boot', 2, NOON, {
      kind: 'frame-credits',
      frames: [{ jobId: 'j1', credits: 5 }],
    });
    await whatUsersRead(opened, NOON);
    await history.repo.deleteOld({
      rawBefore: NOON - 30 * DAY_MS,
      machineHourlyBefore: 0,
      fleetHourlyBefore: 0,
    });
    sqlite.prepare = prepare;
    const readers = [...statements].filter(
      (source) =>
        /from "frames"/i.test(source) && !/^insert/i.test(source) && !/group by "frames"/i.test(source),
    );
    expect(readers.length).toBeGreaterThanOrEqual(5);
    for (const source of readers) {
      const parameters = (source.match(/\?/g) ?? []).map(() => 0);
      const plan = (sqlite.prepare(`explain query plan ${source}`).all(...parameters) as { detail: string }[])
        .map((row) => row.detail)
        .join('\n');
      expect(plan, source).not.toMatch(/SCAN frames\b(?! USING)/);
      expect(plan, source).not.toMatch(/frames_finished/);
    }
    opened.database.close();
  });
});

describe("today's counters", () => {
  it('stay right per machine and for the fleet as frames arrive, late ones, across midnight and a restart', async () => {
    const clock = { now: NOON };
    const opened = consoleOn(join(tempDir('flock-frames-'), 'console.sqlite'), clock);
    const { repo, history } = opened;
    for (const id of ['a', 'b']) await repo.createMachine(id, `render-${id}`, 'hash', 0);
    const fleet = new Fleet(repo, () => clock.now, history);
    await fleet.load();
    const pushed: string[] = [];
    fleet.bus.on('machine', (id) => pushed.push(id));
    const stored = async (machineId: string, seq: number, at: number, event: AgentEvent) => {
      await repo.insertEvent(machineId, 'boot', seq, at, event);
      fleet.frameStored(machineId);
      await vi.waitFor(() => expect(pushed.at(-1)).toBe(machineId));
      pushed.length = 0;
    };
    const counters = async (on = fleet) => {
      const totals = await on.totals();
      return { a: on.summary('a'), b: on.summary('b'), totals };
    };
    expect(await counters()).toMatchObject({
      a: { framesToday: 0, creditsToday: 0 },
      totals: { framesToday: 0, creditsToday: 0 },
    });
    await stored('a', 1, NOON - HOUR_MS, frameDone('j1', 1, 'Sheep', 4));
    await stored('b', 1, NOON - HOUR_MS, frameDone('k1', 1, 'Sheep', null));
    // Credits granted later, and a frame of yesterday delivered late: only today's count.
    await stored('b', 2, NOON, { kind: 'frame-credits', frames: [{ jobId: 'k1', credits: 6 }] });
    await stored('a', 2, MIDNIGHT - HOUR_MS, frameDone('j0', 0, 'Sheep', 100));
    expect(await counters()).toMatchObject({
      a: { framesToday: 1, creditsToday: 4 },
      b: { framesToday: 1, creditsToday: 6 },
      totals: { framesToday: 2, creditsToday: 10 },
    });
    // Removed: gone from the list, its frames stay in the fleet's totals of today.
    fleet.remove('b');
    expect((await counters()).totals).toMatchObject({ framesToday: 2, creditsToday: 10 });
    await stored('a', 3, NOON + HOUR_MS, frameDone('j2', 2, 'Goat', 1));
    expect((await counters()).totals).toMatchObject({ framesToday: 3, creditsToday: 11 });
    // A console restarted reads the same.
    const restarted = new Fleet(repo, () => clock.now, history);
    await restarted.load();
    expect(await counters(restarted)).toMatchObject({
      a: { framesToday: 2, creditsToday: 5 },
      b: { framesToday: 1, creditsToday: 6 },
      totals: { framesToday: 3, creditsToday: 11 },
    });
    // Past midnight every counter starts again, and the first frame of the new day counts.
    clock.now = MIDNIGHT + DAY_MS + HOUR_MS;
    expect(await counters()).toMatchObject({
      a: { framesToday: 0 },
      totals: { framesToday: 0, creditsToday: 0 },
    });
    await stored('a', 4, clock.now, frameDone('j3', 3, 'Goat', 2));
    expect(await counters()).toMatchObject({
      a: { framesToday: 1, creditsToday: 2 },
      totals: { framesToday: 1, creditsToday: 2 },
    });
    opened.database.close();
  });
});
