// What a stored frame costs today's counters: the whole fleet's totals of today (what every stored frame
// re-read before) against the stored frame's machine alone (what it re-reads now), on a real database
// with N machines × 60 frames of today.
//   node --import tsx bench/history/today-counters.ts [machines=1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../apps/web/src/server/db/client';
import { ConsoleRepo } from '../../apps/web/src/server/db/repo';
import { HistoryRepo } from '../../apps/web/src/server/history/repo';

const MACHINES = Number(process.argv[2] ?? 1000);
const FRAMES_TODAY = 60;
const RUNS = 50;
const SINCE = Date.UTC(2026, 2, 10);

const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-today-'));
const { db, close } = openDatabase(join(dataDir, 'console.sqlite'));
const history = new HistoryRepo(db);
const repo = new ConsoleRepo(db, history);
const sqlite = (db as unknown as { $client: { prepare(sql: string): { run(...args: unknown[]): unknown } } })
  .$client;
const frame = sqlite.prepare(
  'insert into frames (machine, job_id, project, frame, render_time_ms, credits, finished_at) values (?, ?, ?, ?, 600000, 10, ?)',
);
const project = await history.projectKey('Project');
const ids: string[] = [];
for (let m = 0; m < MACHINES; m++) {
  const id = `7f3c2a91-5e4d-4b8a-9c1f-${String(m).padStart(12, '0')}`;
  ids.push(id);
  await repo.createMachine(id, `render-${m}`, 'hash', SINCE);
  const key = await history.machineKey(id);
  for (let f = 0; f < FRAMES_TODAY; f++) frame.run(key, `job-${f}`, project, f, SINCE + f * 60_000);
}

async function median(run: (i: number) => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run(i);
    samples.push(performance.now() - start);
  }
  return Math.round((samples.sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? 0) * 1000) / 1000;
}

const wholeFleet = await median(() => history.frameTotalsByMachineSince(SINCE));
const oneMachine = await median((i) =>
  history.frameTotalsOfMachineSince(ids[i % ids.length] as string, SINCE),
);
console.log(
  JSON.stringify({
    machines: MACHINES,
    framesToday: MACHINES * FRAMES_TODAY,
    perStoredFrameMs: { before: wholeFleet, after: oneMachine },
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  }),
);
close();
rmSync(dataDir, { recursive: true, force: true });
