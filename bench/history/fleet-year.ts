// The fleet's 1y series at its full size, which bench/history/run.ts (90 simulated days) does not
// reach: 400 days of the fleet's hourly rows with every one of 300 projects rendered in every hour (the
// most rows an hour, as at 1,000 machines), written as HistoryRepo writes them (hours, days, and the
// months of each project). Times the series, the reads of its buckets (the all-projects hours summed per
// local day by SQLite, against those hours read one by one and the per-project hours read before) and
// of its project shares (the months and the days and hours at the range's edges, against a row per
// project and day).
//   node --import tsx bench/history/fleet-year.ts [projects=300]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../apps/web/src/server/db/client';
import { DAY_MS, HOUR_MS, monthOf } from '../../apps/web/src/server/history/buckets';
import { FLEET_KEY, FLEET_TOTAL_KEY, HistoryRepo } from '../../apps/web/src/server/history/repo';
import { historyDaily, historyHourly, historyMonthly } from '../../apps/web/src/server/history/schema';
import { rangeBounds } from '../../apps/web/src/server/history/series';
import { HistoryService } from '../../apps/web/src/server/history/service';

const PROJECTS = Number(process.argv[2] ?? 300);
const DAYS = 400;
const START = Date.UTC(2025, 0, 1);
const NOW = START + DAYS * DAY_MS - 1;
const RUNS = 20;

const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-fleet-year-'));
const { db, close } = openDatabase(join(dataDir, 'console.sqlite'));
const repo = new HistoryRepo(db);
const sqlite = (db as unknown as { $client: { prepare(sql: string): { run(...a: unknown[]): unknown } } })
  .$client;
const insert = (table: string) =>
  sqlite.prepare(
    `insert into ${table} (bucket, machine, project, frames, credits, render_time_ms, errors, online_ms) values (?, ?, ?, ?, ?, ?, 0, ?)`,
  );
const hourly = insert('history_hourly');
const daily = insert('history_daily');
const monthly = sqlite.prepare(
  `insert into history_monthly (bucket, machine, project, frames, credits, render_time_ms, errors, online_ms) values (?, ?, ?, ?, ?, ?, 0, 0)
   on conflict (machine, bucket, project) do update set frames = frames + excluded.frames, credits = credits + excluded.credits,
   render_time_ms = render_time_ms + excluded.render_time_ms`,
);
const projects: number[] = [];
for (let p = 0; p < PROJECTS; p++) projects.push(await repo.projectKey(`Project ${p}`));
const write = (db as unknown as { $client: { transaction(fn: () => void): () => void } }).$client;
write.transaction(() => {
  for (let day = 0; day < DAYS; day++) {
    const dayStart = START + day * DAY_MS;
    for (let h = 0; h < 24; h++) {
      const bucket = dayStart + h * HOUR_MS;
      for (const project of projects) hourly.run(bucket, FLEET_KEY, project, 1, 10, 600_000, 0);
      hourly.run(bucket, FLEET_KEY, 0, 0, 0, 0, 3_600_000_000);
      hourly.run(bucket, FLEET_TOTAL_KEY, 0, PROJECTS, PROJECTS * 10, PROJECTS * 600_000, 3_600_000_000);
    }
    for (const project of projects) {
      daily.run(dayStart, FLEET_KEY, project, 24, 240, 24 * 600_000, 0);
      monthly.run(monthOf(dayStart), FLEET_KEY, project, 24, 240, 24 * 600_000);
    }
    daily.run(dayStart, FLEET_KEY, 0, 0, 0, 0, 24 * 3_600_000_000);
    daily.run(
      dayStart,
      FLEET_TOTAL_KEY,
      0,
      24 * PROJECTS,
      240 * PROJECTS,
      24 * PROJECTS * 600_000,
      24 * 3_600_000_000,
    );
  }
})();

async function p95(run: () => Promise<unknown>): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return Math.round((samples[Math.ceil(RUNS * 0.95) - 1] ?? 0) * 10) / 10;
}

const history = new HistoryService(repo, () => NOW);
const { from, to, count, bucketMs } = rangeBounds('1y', NOW, -480);
const localDays = { from, bucketMs, count, rowMs: HOUR_MS };
// The shares' rows: the first and last partial UTC days' hours, the partial months' days, the months.
const firstDay = Math.ceil(from / DAY_MS) * DAY_MS;
const lastDay = Math.floor(to / DAY_MS) * DAY_MS;
const firstMonth = monthOf(firstDay) === firstDay ? firstDay : monthOf(firstDay + 31 * DAY_MS);
const lastMonth = monthOf(lastDay);
const shareSlices = [
  [historyHourly, from, firstDay],
  [historyDaily, firstDay, firstMonth],
  [historyMonthly, firstMonth, lastMonth],
  [historyDaily, lastMonth, lastDay],
  [historyHourly, lastDay, to],
] as const;
console.log(
  JSON.stringify({
    projects: PROJECTS,
    days: DAYS,
    fleet1ySeriesP95Ms: await p95(() => history.series({ range: '1y', tzOffsetMinutes: -480 })),
    bucketRowsP95Ms: {
      perProjectRows: await p95(() => repo.sumsByBucket(historyHourly, FLEET_KEY, from, to)),
      allProjectsRows: await p95(() => repo.sumsByBucket(historyHourly, FLEET_TOTAL_KEY, from, to)),
      allProjectsByLocalDay: await p95(() =>
        repo.sumsBySeriesBucket(historyHourly, FLEET_TOTAL_KEY, from, to, localDays),
      ),
    },
    projectSharesP95Ms: {
      dailyRows: await p95(() => repo.sumsByProject(historyDaily, FLEET_KEY, from, to)),
      monthsAndEdges: await p95(() =>
        Promise.all(shareSlices.map(([table, a, b]) => repo.sumsByProject(table, FLEET_KEY, a, b))),
      ),
    },
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  }),
);
close();
rmSync(dataDir, { recursive: true, force: true });
