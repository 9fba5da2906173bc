// History at scale: N machines × D days of synthetic frames, credits, errors and connected time written
// into a real console database (migrations included), the console's sweeper run after every simulated
// day (retention, thumbnails), then p95 of every history query and the database's size.
//   node --import tsx bench/history/run.ts [machines=1000] [days=90]   → bench/history/results.json
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../apps/web/src/server/db/client';
import { encodePhaseSpans } from '../../apps/web/src/server/db/phase-spans';
import { ConsoleRepo } from '../../apps/web/src/server/db/repo';
import { DAY_MS } from '../../apps/web/src/server/history/buckets';
import { HistoryRepo } from '../../apps/web/src/server/history/repo';
import { HISTORY_RANGES, type HistoryRange, rangeBounds } from '../../apps/web/src/server/history/series';
import { HistoryService } from '../../apps/web/src/server/history/service';
import { Sweeper } from '../../apps/web/src/server/sweeper';
import { type SyntheticDay, syntheticDay } from './synthetic';

const MACHINES = Number(process.argv[2] ?? 1000);
const DAYS = Number(process.argv[3] ?? 90);
const REPEATS = 20;
/** The raw baseline runs fewer times: at 1,000 machines one fleet query over 30 days takes seconds. */
const RAW_REPEATS = 3;
const MACHINES_SAMPLED = 5;
const ZONES = [0, 330, -480];
/** 2026-01-01 00:00 UTC: the first synthetic day. */
const START = Date.UTC(2026, 0, 1);

interface SqliteClient {
  prepare(sql: string): { run(...args: unknown[]): unknown; all(...args: unknown[]): unknown[] };
  transaction<T>(fn: () => T): () => T;
  pragma(sql: string): unknown;
}

const p95 = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0) * 10) / 10
  );
};

async function timed(run: () => Promise<unknown> | unknown, repeats = REPEATS): Promise<number[]> {
  for (let i = 0; i < Math.min(2, repeats); i++) await run(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return samples;
}

/** Writes one synthetic day: raw events and frames as ConsoleRepo.insertEvent stores them, roll-up sums as HistoryRepo adds them. */
function writeDay(
  sqlite: SqliteClient,
  day: SyntheticDay,
  machineKeys: Map<string, number>,
  projectKeys: Map<string, number>,
): void {
  const origin = sqlite.prepare(
    `insert into event_origins (machine_id, boot_id, seq, at) values (?, ?, ?, ?)
     on conflict (machine_id, boot_id) do update set seq = excluded.seq, at = excluded.at where excluded.seq > seq`,
  );
  const event = sqlite.prepare(
    'insert into events (machine_id, boot_id, seq, kind, at, payload) values (?, ?, ?, ?, ?, ?)',
  );
  const frame = sqlite.prepare(
    'insert into frames (machine, job_id, project, frame, render_time_ms, credits, finished_at, phases) values (?, ?, ?, ?, ?, ?, ?, ?) returning id',
  ) as unknown as { get(...args: unknown[]): { id: number } };
  const thumbnail = sqlite.prepare(
    'insert into frame_thumbnails (frame_id, machine_id, thumbnail) values (?, ?, ?)',
  );
  const credit = sqlite.prepare(
    'update frames set credits = ? where id = (select id from frames where machine = ? and job_id = ? and credits is null order by id desc limit 1)',
  );
  const rollUp = (table: string) =>
    sqlite.prepare(
      `insert into ${table} (bucket, machine, project, frames, credits, render_time_ms, errors, online_ms) values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (machine, bucket, project) do update set frames = frames + excluded.frames, credits = credits + excluded.credits,
       render_time_ms = render_time_ms + excluded.render_time_ms, errors = errors + excluded.errors, online_ms = online_ms + excluded.online_ms`,
    );
  const hourly = rollUp('history_hourly');
  const daily = rollUp('history_daily');
  const monthly = rollUp('history_monthly');
  sqlite.transaction(() => {
    for (const e of day.events) {
      origin.run(e.machineId, e.bootId, e.seq, e.at);
      // Frame events are stored as their frames rows alone.
      if (e.event.kind !== 'frame-done' && e.event.kind !== 'frame-credits')
        event.run(e.machineId, e.bootId, e.seq, e.event.kind, e.at, JSON.stringify(e.event));
      if (e.event.kind === 'frame-done') {
        const { id } = frame.get(
          machineKeys.get(e.machineId),
          e.event.jobId,
          projectKeys.get(e.event.project),
          e.event.frame,
          e.event.renderTimeMs,
          e.event.credits,
          e.at,
          JSON.stringify(encodePhaseSpans(e.event.phases ?? [])),
        );
        if (e.thumbnail) thumbnail.run(id, e.machineId, e.thumbnail);
      }
      if (e.event.kind === 'frame-credits')
        for (const { jobId, credits } of e.event.frames)
          credit.run(credits, machineKeys.get(e.machineId), jobId);
    }
    for (const row of day.hourly) hourly.run(...row);
    for (const row of day.daily) daily.run(...row);
    for (const row of day.monthly) monthly.run(...row);
  })();
}

/** The same series computed from raw frames and events only (no roll-ups): the baseline. */
function rawSeries(
  sqlite: SqliteClient,
  range: HistoryRange,
  now: number,
  tz: number,
  machine?: { id: string; key: number },
) {
  const { from, to, bucketMs } = rangeBounds(range, now, tz);
  // Frames name their machine by its history key, events by its id.
  const byMachine = machine ? 'and machine = ?' : '';
  const args = machine ? [from, to, machine.key] : [from, to];
  const eventsByMachine = machine ? 'and machine_id = ?' : '';
  const eventArgs = machine ? [from, to, machine.id] : [from, to];
  sqlite
    .prepare(
      `select (finished_at - ${from}) / ${bucketMs} as i, count(*), sum(credits), sum(render_time_ms) from frames
       where finished_at >= ? and finished_at < ? ${byMachine} group by i`,
    )
    .all(...args);
  sqlite
    .prepare(
      `select (at - ${from}) / ${bucketMs} as i, count(*) from events where kind = 'error' and at >= ? and at < ? ${eventsByMachine} group by i`,
    )
    .all(...eventArgs);
  sqlite
    .prepare(
      `select project, count(*) as n, sum(credits), sum(render_time_ms) from frames where finished_at >= ? and finished_at < ? ${byMachine}
       group by project order by n desc`,
    )
    .all(...args);
}

function tableSizes(sqlite: SqliteClient): Record<string, number> {
  try {
    const rows = sqlite
      .prepare('select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc')
      .all() as { name: string; bytes: number }[];
    return Object.fromEntries(rows.map(({ name, bytes }) => [name, Math.round((bytes / 2 ** 20) * 10) / 10]));
  } catch {
    return {};
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-history-'));
  const file = join(dataDir, 'console.sqlite');
  const { db, close } = openDatabase(file);
  const sqlite = (db as unknown as { $client: SqliteClient }).$client;
  const clock = { now: START };
  const history = new HistoryService(new HistoryRepo(db), () => clock.now);
  const repo = new ConsoleRepo(db, history.repo);
  const sweeper = new Sweeper(repo, () => clock.now, { history });

  // Shaped like the console's own machine ids (random UUIDs), since every frame row and index repeats one.
  const machineIds = Array.from(
    { length: MACHINES },
    (_, i) => `7f3c2a91-5e4d-4b8a-9c1f-${String(i).padStart(12, '0')}`,
  );
  const machineKeys = new Map<string, number>();
  for (const id of machineIds) {
    await repo.createMachine(id, `render-${id.slice(-5)}`, 'hash', START);
    machineKeys.set(id, await history.repo.machineKey(id));
  }
  // Frames name their project by its history key too.
  const projectKeys = new Map<string, number>();
  const projectKey = async (name: string) => {
    const key = await history.repo.projectKey(name);
    projectKeys.set(name, key);
    return key;
  };

  const generateStart = performance.now();
  let frames = 0;
  let sweepMs = 0;
  for (let d = 0; d < DAYS; d++) {
    const day = await syntheticDay({ dayStart: START + d * DAY_MS, machineIds, machineKeys, projectKey });
    writeDay(sqlite, day, machineKeys, projectKeys);
    frames += day.frames;
    clock.now = START + (d + 1) * DAY_MS;
    const sweepStart = performance.now();
    await sweeper.sweep();
    sweepMs = performance.now() - sweepStart;
    if ((d + 1) % 10 === 0)
      console.log(`day ${d + 1}/${DAYS}: ${frames} frames so far, last sweep ${Math.round(sweepMs)} ms`);
  }
  const generateSeconds = Math.round((performance.now() - generateStart) / 100) / 10;
  const now = clock.now - 1;
  clock.now = now;

  const queries: Record<string, unknown>[] = [];
  const sampled = machineIds.filter((_, i) => i % Math.ceil(MACHINES / MACHINES_SAMPLED) === 0);
  for (const range of HISTORY_RANGES) {
    for (const scope of ['fleet', 'machine'] as const) {
      const rollUp: number[] = [];
      const raw: number[] = [];
      for (const tzOffsetMinutes of ZONES)
        for (const machineId of scope === 'fleet' ? [undefined] : sampled) {
          rollUp.push(
            ...(await timed(() =>
              history.series({ range, tzOffsetMinutes, ...(machineId ? { machineId } : {}) }),
            )),
          );
          // Raw rows are kept 30 days, so the baseline exists for the ranges within them.
          if (range !== '1y')
            raw.push(
              ...(await timed(
                () =>
                  rawSeries(
                    sqlite,
                    range,
                    now,
                    tzOffsetMinutes,
                    machineId ? { id: machineId, key: machineKeys.get(machineId) as number } : undefined,
                  ),
                RAW_REPEATS,
              )),
            );
        }
      queries.push({
        range,
        scope,
        queries: rollUp.length,
        p95Ms: p95(rollUp),
        maxMs: Math.round(Math.max(...rollUp) * 10) / 10,
        rawBaselineP95Ms: raw.length ? p95(raw) : null,
      });
      console.log(JSON.stringify(queries.at(-1)));
    }
  }

  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = statSync(file).size;
  const count = (table: string) =>
    (sqlite.prepare(`select count(*) as n from ${table}`).all()[0] as { n: number }).n;
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    command: `node --import tsx bench/history/run.ts ${MACHINES} ${DAYS}`,
    machines: MACHINES,
    days: DAYS,
    framesGenerated: frames,
    generateSeconds,
    lastSweepMs: Math.round(sweepMs),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    database: {
      fileMiB: Math.round((bytes / 2 ** 20) * 10) / 10,
      freePages: sqlite.pragma('freelist_count'),
      rows: {
        frames: count('frames'),
        events: count('events'),
        eventOrigins: count('event_origins'),
        historyHourly: count('history_hourly'),
        historyDaily: count('history_daily'),
        historyMonthly: count('history_monthly'),
        historyProjects: count('history_projects'),
      },
      tablesMiB: tableSizes(sqlite),
    },
    queries,
    targets: { p95Ms: 200, databaseMiB: 500 },
  };
  console.log(JSON.stringify(result.database, null, 2));
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  close();
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
