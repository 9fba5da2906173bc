import {
  bucketAtOrAfter,
  bucketOf,
  DAY_MS,
  FLEET_HOURLY_KEPT_MS,
  HOUR_MS,
  localDayStart,
  MACHINE_HOURLY_KEPT_MS,
  monthAtOrAfter,
  monthOf,
} from './buckets';
import { FLEET_KEY, FLEET_TOTAL_KEY, type HistoryRepo, type RollUpAmounts, type RollUpTable } from './repo';
import { historyDaily, historyHourly, historyMonthly } from './schema';

export const HISTORY_RANGES = ['24h', '7d', '30d', '1y'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];

export interface HistoryBucket {
  /** Epoch ms of the bucket's start. */
  start: number;
  /** Frames delivered. */
  frames: number;
  /** Credits granted for them. */
  credits: number;
  /** Summed render time. */
  renderTimeMs: number;
  /** Machine-time connected to the console in the bucket (utilisation = renderTimeMs / onlineMs). */
  onlineMs: number;
  /** Error events (not user actions). */
  errors: number;
}
export interface ProjectShare {
  project: string;
  frames: number;
  credits: number;
  renderTimeMs: number;
}
export interface HistorySeries {
  range: HistoryRange;
  /** 3 600 000 or 86 400 000. */
  bucketMs: number;
  /** The first bucket's start. */
  from: number;
  /** The end of the last bucket (exclusive); it covers "now". */
  to: number;
  /** Dense (zero-filled), oldest first. */
  buckets: HistoryBucket[];
  /** The top 10 by frames over the range; the rest summed as project "Other". */
  projects: ProjectShare[];
}

/** How many buckets each range has, and how long they are. */
const RANGE_BUCKETS: Record<HistoryRange, { count: number; bucketMs: number }> = {
  '24h': { count: 24, bucketMs: HOUR_MS },
  '7d': { count: 7 * 24, bucketMs: HOUR_MS },
  '30d': { count: 30, bucketMs: DAY_MS },
  '1y': { count: 365, bucketMs: DAY_MS },
};

export const TOP_PROJECTS = 10;
export const OTHER_PROJECT = 'Other';

/**
 * The buckets of a range ending with the one that holds `now`: UTC hours for 24h and 7d (local hours
 * for every zone a whole number of hours from UTC), local days (midnight in the viewer's zone) for
 * 30d and 1y.
 */
export function rangeBounds(range: HistoryRange, now: number, tzOffsetMinutes: number) {
  const { count, bucketMs } = RANGE_BUCKETS[range];
  const lastStart = bucketMs === HOUR_MS ? bucketOf(now, HOUR_MS) : localDayStart(now, tzOffsetMinutes);
  const to = lastStart + bucketMs;
  return { bucketMs, count, from: to - count * bucketMs, to };
}

/** A slice of the range read from one roll-up table. */
interface Source {
  table: typeof historyHourly | typeof historyDaily;
  from: number;
  to: number;
  /** Where a row's amounts go: the row's midpoint decides its bucket of the range. */
  rowMs: number;
}

/**
 * Which roll-ups a range reads: hourly rows where they are kept (the fleet's for 400 days, a
 * machine's for 90), else daily rows of UTC days. Hourly rows make local days exact for zones a whole
 * number of hours from UTC; a UTC day (or, in a zone such as +5:30, an hour) straddling a local
 * midnight counts in the local day that holds its middle.
 */
function sourcesOf(machine: number, from: number, to: number, now: number): Source[] {
  const hourlyKept = machine === FLEET_KEY ? FLEET_HOURLY_KEPT_MS : MACHINE_HOURLY_KEPT_MS;
  const firstHourly = bucketAtOrAfter(now - hourlyKept, DAY_MS);
  // The first row of each table whose middle is in the range.
  const hourlyFrom = bucketAtOrAfter(from - HOUR_MS / 2, HOUR_MS);
  if (hourlyFrom >= firstHourly) return [{ table: historyHourly, from: hourlyFrom, to, rowMs: HOUR_MS }];
  return [
    { table: historyDaily, from: bucketAtOrAfter(from - DAY_MS / 2, DAY_MS), to: firstHourly, rowMs: DAY_MS },
    { table: historyHourly, from: firstHourly, to, rowMs: HOUR_MS },
  ];
}

/** A slice of the range read from one roll-up table for the project totals. */
interface Slice {
  table: RollUpTable;
  from: number;
  to: number;
}

/** A coarser roll-up table and the edges of its buckets. */
interface Coarser {
  table: RollUpTable;
  startOf: (at: number) => number;
  startAtOrAfter: (at: number) => number;
}

const DAYS: Coarser = {
  table: historyDaily,
  startOf: (at) => bucketOf(at, DAY_MS),
  startAtOrAfter: (at) => bucketAtOrAfter(at, DAY_MS),
};
const MONTHS: Coarser = { table: historyMonthly, startOf: monthOf, startAtOrAfter: monthAtOrAfter };

/** The whole buckets of `coarser` inside each slice of `finer` rows are read from `coarser` (the same sums). */
function readWholeFrom(slices: Slice[], finer: RollUpTable, coarser: Coarser): Slice[] {
  return slices.flatMap((slice) => {
    const first = coarser.startAtOrAfter(slice.from);
    const last = coarser.startOf(slice.to);
    if (slice.table !== finer || first >= last) return [slice];
    return [
      { ...slice, to: first },
      { table: coarser.table, from: first, to: last },
      { ...slice, from: last },
    ].filter((part) => part.from < part.to);
  });
}

/**
 * The same rows for project totals, which need no local days: the whole UTC days inside an hourly
 * slice from the daily rows (24 times fewer rows), and for the fleet the whole UTC months inside a
 * daily slice from its monthly rows (a year of 300 projects: 3,600 rows instead of 109,500).
 */
function projectSourcesOf(machine: number, sources: Source[]): Slice[] {
  const days = readWholeFrom(sources, historyHourly, DAYS);
  return machine === FLEET_KEY ? readWholeFrom(days, historyDaily, MONTHS) : days;
}

/** The key whose rows a series' buckets read: the fleet's all-projects rows (one a bucket) for the fleet. */
const bucketRowsOf = (machine: number) => (machine === FLEET_KEY ? FLEET_TOTAL_KEY : machine);

const addInto = (bucket: HistoryBucket, amounts: RollUpAmounts) => {
  bucket.frames += amounts.frames;
  bucket.credits += amounts.credits;
  bucket.renderTimeMs += amounts.renderTimeMs;
  bucket.onlineMs += amounts.onlineMs;
  bucket.errors += amounts.errors;
};

/**
 * The history of one machine (by its console id) or of the whole fleet, removed machines included.
 * A machine without history gets zero buckets.
 */
export async function historySeries(
  repo: HistoryRepo,
  query: { range: HistoryRange; machineId?: string; tzOffsetMinutes: number; now: number },
): Promise<HistorySeries> {
  const { bucketMs, count, from, to } = rangeBounds(query.range, query.now, query.tzOffsetMinutes);
  const buckets: HistoryBucket[] = Array.from({ length: count }, (_, i) => ({
    start: from + i * bucketMs,
    frames: 0,
    credits: 0,
    renderTimeMs: 0,
    onlineMs: 0,
    errors: 0,
  }));
  const series: HistorySeries = { range: query.range, bucketMs, from, to, buckets, projects: [] };
  const machine = query.machineId === undefined ? FLEET_KEY : await repo.findMachineKey(query.machineId);
  if (machine === undefined) return series;
  const byProject = new Map<number, ProjectShare>();
  const sources = sourcesOf(machine, from, to, query.now);
  for (const source of sources) {
    // The hour holding "now" in a zone such as +5:30 has its middle past the last bucket's end: the
    // grid puts it in the last bucket.
    const grid = { from, bucketMs, count, rowMs: source.rowMs };
    const rows = await repo.sumsBySeriesBucket(
      source.table,
      bucketRowsOf(machine),
      source.from,
      source.to,
      grid,
    );
    for (const row of rows) {
      const bucket = buckets[row.index];
      if (bucket) addInto(bucket, row);
    }
  }
  for (const source of projectSourcesOf(machine, sources))
    for (const row of await repo.sumsByProject(source.table, machine, source.from, source.to)) {
      const share = byProject.get(row.project) ?? { project: '', frames: 0, credits: 0, renderTimeMs: 0 };
      share.frames += row.frames;
      share.credits += row.credits;
      share.renderTimeMs += row.renderTimeMs;
      byProject.set(row.project, share);
    }
  series.projects = await topProjects(repo, byProject);
  return series;
}

/** The ten projects with the most frames (ties: the most credits), the rest summed as "Other". */
async function topProjects(repo: HistoryRepo, byProject: Map<number, ProjectShare>): Promise<ProjectShare[]> {
  const ranked = [...byProject.entries()]
    .filter(([, share]) => share.frames > 0 || share.credits > 0)
    .sort(([, a], [, b]) => b.frames - a.frames || b.credits - a.credits);
  const top = ranked.slice(0, TOP_PROJECTS);
  const names = await repo.projectNames(top.map(([key]) => key));
  const shares = top.map(([key, share]) => ({ ...share, project: names.get(key) ?? '' }));
  const rest = ranked.slice(TOP_PROJECTS);
  if (rest.length > 0)
    shares.push(
      rest.reduce<ProjectShare>(
        (other, [, share]) => ({
          project: OTHER_PROJECT,
          frames: other.frames + share.frames,
          credits: other.credits + share.credits,
          renderTimeMs: other.renderTimeMs + share.renderTimeMs,
        }),
        { project: OTHER_PROJECT, frames: 0, credits: 0, renderTimeMs: 0 },
      ),
    );
  return shares;
}
