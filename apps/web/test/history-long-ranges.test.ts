// The series of long ranges read coarse rows (the fleet's months for project shares, buckets summed by
// SQLite): over 420 days of frames, late credits, errors and connected time written through HistoryRepo
// into a real SQLite file, every range of the fleet and of a machine, in zones from −12:00 to +14:00 (+5:30 too),
// must give exactly what the frames give when each is put where the roll-ups put it (its hour, or for a
// machine's days past 90 its UTC day, in the bucket that holds that row's middle).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/server/db/client';
import {
  bucketAtOrAfter,
  bucketOf,
  DAY_MS,
  HOUR_MS,
  MACHINE_HOURLY_KEPT_MS,
  splitIntoBuckets,
} from '../src/server/history/buckets';
import { FLEET_KEY, HistoryRepo } from '../src/server/history/repo';
import { historyMonthly } from '../src/server/history/schema';
import {
  HISTORY_RANGES,
  type HistoryBucket,
  type HistoryRange,
  type HistorySeries,
  historySeries,
  OTHER_PROJECT,
  type ProjectShare,
  rangeBounds,
  TOP_PROJECTS,
} from '../src/server/history/series';
import { tempDir } from './support/console';

const MIGRATIONS = join(import.meta.dirname, '..', 'drizzle');
const MINUTE = 60_000;
/** 2026-03-10 12:20 UTC: ten days into a month, so a year's range starts and ends inside months. */
const NOW = Date.UTC(2026, 2, 10, 12, 20);
const MACHINES = ['m1', 'm2', 'm3'];
const PROJECTS = 14;
/** Each project's credits per frame differ, so no two projects tie in frames and credits. */
const creditsOf = (project: number) => 1 + project / 2;
const ZONES = [0, 330, -480, 840, -720];

interface Frame {
  machineId: string;
  at: number;
  project: number;
  renderTimeMs: number;
}
interface History {
  frames: Frame[];
  errors: { machineId: string; at: number }[];
  online: { machineId: string; from: number; to: number }[];
}

/** mulberry32: the same history every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Frames every day for 420 days (popular projects first), some exactly at UTC month and day edges. */
function syntheticHistory(): History {
  const rand = seeded(13);
  const history: History = { frames: [], errors: [], online: [] };
  const pick = () => MACHINES[Math.floor(rand() * MACHINES.length)] as string;
  const frame = (at: number) =>
    history.frames.push({
      machineId: pick(),
      at,
      project: Math.floor(PROJECTS * rand() ** 2),
      renderTimeMs: 1_000 + Math.floor(rand() * 100_000),
    });
  for (let day = 420; day >= 0; day--) {
    const dayStart = bucketOf(NOW, DAY_MS) - day * DAY_MS;
    for (let n = Math.floor(rand() * 3); n > 0; n--) frame(dayStart + Math.floor(rand() * DAY_MS));
    frame(dayStart); // a UTC midnight
    frame(dayStart - 1);
    if (rand() < 0.3) history.errors.push({ machineId: pick(), at: dayStart + Math.floor(rand() * DAY_MS) });
    const from = dayStart + Math.floor(rand() * DAY_MS);
    history.online.push({ machineId: pick(), from, to: from + Math.floor(rand() * 8 * HOUR_MS) });
  }
  for (let month = 0; month < 14; month++) {
    const start = Date.UTC(2026, 2 - month, 1);
    frame(start);
    frame(start - 1);
    frame(start + 30 * MINUTE);
  }
  const past = <T extends { at: number }>(list: T[]) => list.filter((item) => item.at <= NOW);
  return { ...history, frames: past(history.frames), errors: past(history.errors) };
}

/** The history stored as the console stores it: every other frame's credits granted after it. */
async function store(repo: HistoryRepo, history: History): Promise<void> {
  for (const [index, f] of history.frames.entries()) {
    const credits = creditsOf(f.project);
    const late = index % 2 === 1;
    const project = `Project ${f.project}`;
    await repo.addFrame(f.machineId, f.at, {
      project,
      renderTimeMs: f.renderTimeMs,
      credits: late ? null : credits,
    });
    if (late) await repo.addCredits(f.machineId, f.at, project, credits);
  }
  for (const e of history.errors) await repo.addError(e.machineId, e.at);
  for (const o of history.online) await repo.addOnline(o.machineId, o.from, Math.min(o.to, NOW));
}

/**
 * The roll-up rows a series reads what happened at `at` from: its hour, or for a machine's range
 * reaching past its 90 days of hours, its UTC day before them.
 */
function rowMsRead(at: number, machineId: string | undefined, from: number): number {
  const firstHourly = bucketAtOrAfter(NOW - MACHINE_HOURLY_KEPT_MS, DAY_MS);
  const byDay = machineId !== undefined && bucketAtOrAfter(from - HOUR_MS / 2, HOUR_MS) < firstHourly;
  return byDay && at < firstHourly ? DAY_MS : HOUR_MS;
}

/** The bucket holding the middle of the row [rowStart, rowStart + rowMs), the last one at most. */
function bucketIndexOf(rowStart: number, rowMs: number, range: HistoryRange, tz: number) {
  const { from, to, count, bucketMs } = rangeBounds(range, NOW, tz);
  const middle = rowStart + rowMs / 2;
  if (middle < from || rowStart >= to) return undefined;
  return Math.min(count - 1, Math.floor((middle - from) / bucketMs));
}

/** The series the frames, errors and connected times give, computed from them alone. */
function expectedSeries(history: History, range: HistoryRange, tz: number, machineId?: string) {
  const { count, bucketMs, from } = rangeBounds(range, NOW, tz);
  const buckets: HistoryBucket[] = Array.from({ length: count }, (_, i) => ({
    start: from + i * bucketMs,
    frames: 0,
    credits: 0,
    renderTimeMs: 0,
    onlineMs: 0,
    errors: 0,
  }));
  const byProject = new Map<number, ProjectShare>();
  const mine = (of: { machineId: string }) => machineId === undefined || of.machineId === machineId;
  const indexOf = (at: number) => {
    const rowMs = rowMsRead(at, machineId, from);
    return bucketIndexOf(bucketOf(at, rowMs), rowMs, range, tz);
  };
  for (const f of history.frames.filter(mine)) {
    const index = indexOf(f.at);
    if (index === undefined) continue;
    const bucket = buckets[index] as HistoryBucket;
    const share = byProject.get(f.project) ?? {
      project: `Project ${f.project}`,
      frames: 0,
      credits: 0,
      renderTimeMs: 0,
    };
    for (const sums of [bucket, share]) {
      sums.frames += 1;
      sums.credits += creditsOf(f.project);
      sums.renderTimeMs += f.renderTimeMs;
    }
    byProject.set(f.project, share);
  }
  for (const e of history.errors.filter(mine)) {
    const index = indexOf(e.at);
    if (index !== undefined) (buckets[index] as HistoryBucket).errors += 1;
  }
  // Connected time is stored split into hours and into days: each piece counts where its row is read.
  for (const o of history.online.filter(mine))
    for (const size of [HOUR_MS, DAY_MS])
      for (const piece of splitIntoBuckets(o.from, Math.min(o.to, NOW), size)) {
        const index = bucketIndexOf(piece.bucket, size, range, tz);
        if (index !== undefined && rowMsRead(piece.bucket, machineId, from) === size)
          (buckets[index] as HistoryBucket).onlineMs += piece.ms;
      }
  const ranked = [...byProject.values()].sort((a, b) => b.frames - a.frames || b.credits - a.credits);
  const projects = ranked.slice(0, TOP_PROJECTS);
  const rest = ranked.slice(TOP_PROJECTS);
  if (rest.length > 0)
    projects.push({
      project: OTHER_PROJECT,
      frames: rest.reduce((sum, share) => sum + share.frames, 0),
      credits: rest.reduce((sum, share) => sum + share.credits, 0),
      renderTimeMs: rest.reduce((sum, share) => sum + share.renderTimeMs, 0),
    });
  return { buckets, projects };
}

describe('history series of long ranges', () => {
  it('gives the fleet and each machine exactly what their frames give, in every range and zone', async () => {
    const database = openDatabase(join(tempDir('flock-history-'), 'console.sqlite'));
    const repo = new HistoryRepo(database.db);
    const history = syntheticHistory();
    await store(repo, history);
    for (const range of HISTORY_RANGES)
      for (const tzOffsetMinutes of ZONES)
        for (const machineId of [undefined, 'm1']) {
          const series: HistorySeries = await historySeries(repo, {
            range,
            machineId,
            tzOffsetMinutes,
            now: NOW,
          });
          const expected = expectedSeries(history, range, tzOffsetMinutes, machineId);
          const where = `${range} ${machineId ?? 'fleet'} at ${tzOffsetMinutes} min`;
          expect(series.buckets, where).toEqual(expected.buckets);
          expect(series.projects, where).toEqual(expected.projects);
        }
    database.close();
  }, 120_000); // about 2,000 frames written through the roll-ups: seconds on a loaded machine

  it('keeps the fleet’s sums per project and UTC month, rolled up by the migration from its days', async () => {
    const file = join(tempDir('flock-history-'), 'console.sqlite');
    const folder = tempDir('flock-migrations-');
    mkdirSync(join(folder, 'meta'));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8'));
    journal.entries = journal.entries.filter((entry: { tag: string }) => entry.tag < '0013');
    for (const { tag } of journal.entries)
      copyFileSync(join(MIGRATIONS, `${tag}.sql`), join(folder, `${tag}.sql`));
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
    const before = new Database(file);
    migrate(drizzle(before), { migrationsFolder: folder });
    const day = before.prepare(
      'insert into history_daily (bucket, machine, project, frames, credits, render_time_ms, errors, online_ms) values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    before.prepare("insert into history_projects (name) values ('Goat'), ('Llama')").run(); // keys 1 and 2
    const feb = Date.UTC(2026, 1, 1);
    day.run(feb - DAY_MS, FLEET_KEY, 1, 1, 2, 10, 0, 0); // 31 January
    day.run(feb, FLEET_KEY, 1, 2, 3.5, 20, 0, 0);
    day.run(feb + 27 * DAY_MS, FLEET_KEY, 1, 4, 1, 40, 0, 0); // 28 February
    day.run(feb + 27 * DAY_MS, FLEET_KEY, 2, 1, 1, 5, 0, 0);
    day.run(feb, FLEET_KEY, 0, 0, 0, 0, 3, 60_000); // errors and connected time: no project
    day.run(feb, 7, 1, 9, 9, 90, 0, 0); // a machine's own row
    before.close();

    const database = openDatabase(file);
    const months = database.db.select().from(historyMonthly).all();
    expect(months).toEqual([
      {
        bucket: Date.UTC(2026, 0, 1),
        machine: FLEET_KEY,
        project: 1,
        frames: 1,
        credits: 2,
        renderTimeMs: 10,
        errors: 0,
        onlineMs: 0,
      },
      {
        bucket: feb,
        machine: FLEET_KEY,
        project: 1,
        frames: 6,
        credits: 4.5,
        renderTimeMs: 60,
        errors: 0,
        onlineMs: 0,
      },
      {
        bucket: feb,
        machine: FLEET_KEY,
        project: 2,
        frames: 1,
        credits: 1,
        renderTimeMs: 5,
        errors: 0,
        onlineMs: 0,
      },
    ]);
    // From then on a frame (and its late credits) adds to its month, an error does not.
    const repo = new HistoryRepo(database.db);
    await repo.addFrame('m1', feb + 28 * DAY_MS - 1, { project: 'Sheep', renderTimeMs: 7, credits: null });
    await repo.addCredits('m1', feb + 28 * DAY_MS - 1, 'Sheep', 5);
    await repo.addError('m1', feb + 3 * DAY_MS);
    const sheep = await repo.projectKey('Sheep');
    expect(database.db.select().from(historyMonthly).all()).toContainEqual({
      bucket: feb,
      machine: FLEET_KEY,
      project: sheep,
      frames: 1,
      credits: 5,
      renderTimeMs: 7,
      errors: 0,
      onlineMs: 0,
    });
    expect(database.db.select().from(historyMonthly).all()).toHaveLength(4);
    database.close();
  });
});
