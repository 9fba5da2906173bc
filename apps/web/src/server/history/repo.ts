import { and, eq, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import type { ConsoleDb } from '../db/client';
import { forgetEventOrigins } from '../db/event-origins';
import { framesOfMachine } from '../db/frames-of-machine';
import { events, frames, machines } from '../db/schema';
import type { FrameTotals } from '../views';
import { bucketOf, DAY_MS, HOUR_MS, monthOf, splitIntoBuckets } from './buckets';
import { historyDaily, historyHourly, historyMachines, historyMonthly, historyProjects } from './schema';

/** What one roll-up row adds up; every field is a sum. */
export interface RollUpAmounts {
  frames: number;
  credits: number;
  renderTimeMs: number;
  errors: number;
  onlineMs: number;
}

/** The machine key of the rows that sum the whole fleet (removed machines included), per project. */
export const FLEET_KEY = 0;
/**
 * The machine key of the rows that sum the whole fleet for all projects together (project
 * NO_PROJECT_KEY): one row per bucket, which the fleet's series read (a year is 8,760 hourly rows).
 */
export const FLEET_TOTAL_KEY = -1;
/** The project key of what belongs to no project: errors and connected time. */
export const NO_PROJECT_KEY = 0;

export type RollUpTable = typeof historyHourly | typeof historyDaily | typeof historyMonthly;

/**
 * How a series cuts its range: `count` buckets of `bucketMs` from `from`. A roll-up row of `rowMs` goes
 * to the bucket that holds its middle (the last bucket at most).
 */
export interface SeriesGrid {
  from: number;
  bucketMs: number;
  count: number;
  rowMs: number;
}

const frameTotals = {
  frames: sql<number>`count(*)`,
  credits: sql<number>`coalesce(sum(${frames.credits}), 0)`,
};

const NONE: RollUpAmounts = { frames: 0, credits: 0, renderTimeMs: 0, errors: 0, onlineMs: 0 };

/**
 * Storage of the history roll-ups: every addition goes to the machine's hour and UTC day and to the
 * fleet's (and a project's to the fleet's UTC month), so that a query reads a few rows per bucket,
 * never raw frames.
 */
export class HistoryRepo {
  private readonly machineKeys = new Map<string, number>();
  private readonly projectKeys = new Map<string, number>();

  constructor(readonly db: ConsoleDb) {}

  /** A frame delivered at `at` (the agent's time, hours ago for a late one). */
  async addFrame(
    machineId: string,
    at: number,
    frame: { project: string; renderTimeMs: number; credits: number | null },
  ): Promise<void> {
    const project = await this.projectKey(frame.project);
    const amounts = { ...NONE, frames: 1, credits: frame.credits ?? 0, renderTimeMs: frame.renderTimeMs };
    await this.addEverywhere(machineId, at, project, amounts);
  }

  /** Credits granted later for a frame delivered at `finishedAt`: they join that frame's buckets. */
  async addCredits(machineId: string, finishedAt: number, project: string, credits: number): Promise<void> {
    await this.addEverywhere(machineId, finishedAt, await this.projectKey(project), { ...NONE, credits });
  }

  async addError(machineId: string, at: number): Promise<void> {
    await this.addEverywhere(machineId, at, NO_PROJECT_KEY, { ...NONE, errors: 1 });
  }

  /** Time [from, to) the machine's agent was connected, spread over the hours and days it covers. */
  async addOnline(machineId: string, from: number, to: number): Promise<void> {
    const machine = await this.machineKey(machineId);
    for (const { table, size } of [
      { table: historyHourly, size: HOUR_MS },
      { table: historyDaily, size: DAY_MS },
    ])
      for (const { bucket, ms } of splitIntoBuckets(from, to, size))
        for (const key of [machine, FLEET_KEY, FLEET_TOTAL_KEY])
          await this.add(table, bucket, key, NO_PROJECT_KEY, { ...NONE, onlineMs: ms });
  }

  /** The machine's history key, made on first use with its name, which stays after it is removed. */
  async machineKey(machineId: string): Promise<number> {
    const known = this.machineKeys.get(machineId) ?? (await this.findMachineKey(machineId));
    if (known !== undefined) return known;
    const name = (
      await this.db.select({ name: machines.name }).from(machines).where(eq(machines.id, machineId)).get()
    )?.name;
    await this.db
      .insert(historyMachines)
      .values({ machineId, name: name ?? machineId })
      .onConflictDoNothing();
    return (await this.findMachineKey(machineId)) as number;
  }

  /** The machine's key if it has any history, without making one. */
  async findMachineKey(machineId: string): Promise<number | undefined> {
    const cached = this.machineKeys.get(machineId);
    if (cached !== undefined) return cached;
    const row = await this.db
      .select({ key: historyMachines.key })
      .from(historyMachines)
      .where(eq(historyMachines.machineId, machineId))
      .get();
    if (row) this.machineKeys.set(machineId, row.key);
    return row?.key;
  }

  /** Keeps the machine's current name in its history (called when it is renamed). */
  async rememberName(machineId: string, name: string): Promise<void> {
    await this.db.update(historyMachines).set({ name }).where(eq(historyMachines.machineId, machineId));
  }

  async projectKey(name: string): Promise<number> {
    const cached = this.projectKeys.get(name);
    if (cached !== undefined) return cached;
    await this.db.insert(historyProjects).values({ name }).onConflictDoNothing();
    const row = await this.db
      .select({ key: historyProjects.key })
      .from(historyProjects)
      .where(eq(historyProjects.name, name))
      .get();
    const key = row?.key as number;
    this.projectKeys.set(name, key);
    return key;
  }

  /** Project names by key, for the keys given. */
  async projectNames(keys: number[]): Promise<Map<number, string>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.select().from(historyProjects).where(inArray(historyProjects.key, keys)).all();
    return new Map(rows.map((row) => [row.key, row.name]));
  }

  /**
   * Frames and credits of each machine (removed ones too) since `since`, from the raw frames (kept 30
   * days): per machine key, through the (machine, finished) index.
   */
  async frameTotalsByMachineSince(since: number): Promise<Map<string, FrameTotals>> {
    const rows = await this.db
      .select({ machineId: historyMachines.machineId, ...frameTotals })
      .from(historyMachines)
      .innerJoin(frames, and(eq(frames.machine, historyMachines.key), gte(frames.finishedAt, since)))
      .groupBy(historyMachines.key)
      .all();
    return new Map(rows.map(({ machineId, ...totals }) => [machineId, totals]));
  }

  /** Frames and credits of one machine since `since`, from its raw frames. */
  async frameTotalsOfMachineSince(machineId: string, since: number): Promise<FrameTotals> {
    const row = await this.db
      .select(frameTotals)
      .from(frames)
      .where(and(framesOfMachine(this.db, machineId), gte(frames.finishedAt, since)))
      .get();
    return { frames: row?.frames ?? 0, credits: row?.credits ?? 0 };
  }

  /**
   * Sums per bucket of `table` for one machine key (or FLEET_KEY) over [from, to), one row per bucket
   * that has any, oldest first.
   */
  async sumsByBucket(
    table: RollUpTable,
    machine: number,
    from: number,
    to: number,
  ): Promise<({ bucket: number } & RollUpAmounts)[]> {
    return this.db
      .select({ bucket: table.bucket, ...this.sums(table) })
      .from(table)
      .where(this.rowsOf(table, machine, from, to))
      .groupBy(table.bucket)
      .orderBy(table.bucket)
      .all();
  }

  /**
   * Sums of `table` for one machine key over [from, to) per bucket of a series (`index` from 0), one
   * row per bucket that has any: SQLite adds the rows up, a year of hours is 365 rows.
   */
  async sumsBySeriesBucket(
    table: RollUpTable,
    machine: number,
    from: number,
    to: number,
    grid: SeriesGrid,
  ): Promise<({ index: number } & RollUpAmounts)[]> {
    // Integer division (bound numbers are REAL in SQLite): the row's middle, whole buckets from `from`.
    const middleFromStart = sql`cast(${grid.rowMs / 2 - grid.from} as integer)`;
    const bucketMs = sql`cast(${grid.bucketMs} as integer)`;
    const index = sql<number>`min(${grid.count - 1}, (${table.bucket} + ${middleFromStart}) / ${bucketMs})`;
    return this.db
      .select({ index: index.as('series_bucket'), ...this.sums(table) })
      .from(table)
      .where(this.rowsOf(table, machine, from, to))
      .groupBy(sql`series_bucket`)
      .all();
  }

  /** Sums per project of `table` for one machine key (or FLEET_KEY) over [from, to), projects only. */
  async sumsByProject(
    table: RollUpTable,
    machine: number,
    from: number,
    to: number,
  ): Promise<({ project: number } & RollUpAmounts)[]> {
    return this.db
      .select({ project: table.project, ...this.sums(table) })
      .from(table)
      .where(and(this.rowsOf(table, machine, from, to), ne(table.project, NO_PROJECT_KEY)))
      .groupBy(table.project)
      .all();
  }

  /**
   * Retention: raw frames and events (and the boots' newest stored seqs) older than `rawBefore`,
   * hourly roll-ups of machines older than `machineHourlyBefore` and of the fleet older than
   * `fleetHourlyBefore`. Daily roll-ups stay.
   */
  async deleteOld(cutoffs: {
    rawBefore: number;
    machineHourlyBefore: number;
    fleetHourlyBefore: number;
  }): Promise<{ frames: number; events: number; hourly: number }> {
    // Per machine key, so the (machine, finished) index finds the rows.
    const goneFrames = await this.db
      .delete(frames)
      .where(
        and(
          inArray(frames.machine, this.db.select({ key: historyMachines.key }).from(historyMachines)),
          lt(frames.finishedAt, cutoffs.rawBefore),
        ),
      )
      .returning({ id: frames.id })
      .all();
    // Per machine, so the (machine, at) index finds the rows instead of a scan of every event.
    const goneEvents = await this.db
      .delete(events)
      .where(
        and(
          inArray(events.machineId, this.db.select({ id: machines.id }).from(machines)),
          lt(events.at, cutoffs.rawBefore),
        ),
      )
      .returning({ id: events.id })
      .all();
    // Replays of events this old are no longer recognised, as with their rows before.
    forgetEventOrigins(this.db, cutoffs.rawBefore);
    // Per machine key too: the primary key (machine, bucket, project) finds the rows.
    const goneMachineHours = await this.db
      .delete(historyHourly)
      .where(
        and(
          inArray(historyHourly.machine, this.db.select({ key: historyMachines.key }).from(historyMachines)),
          lt(historyHourly.bucket, cutoffs.machineHourlyBefore),
        ),
      )
      .returning({ bucket: historyHourly.bucket })
      .all();
    const goneFleetHours = await this.db
      .delete(historyHourly)
      .where(
        and(
          inArray(historyHourly.machine, [FLEET_KEY, FLEET_TOTAL_KEY]),
          lt(historyHourly.bucket, cutoffs.fleetHourlyBefore),
        ),
      )
      .returning({ bucket: historyHourly.bucket })
      .all();
    const goneHourly = [...goneMachineHours, ...goneFleetHours];
    return { frames: goneFrames.length, events: goneEvents.length, hourly: goneHourly.length };
  }

  private rowsOf(table: RollUpTable, machine: number, from: number, to: number) {
    return and(eq(table.machine, machine), gte(table.bucket, from), lt(table.bucket, to));
  }

  private sums(table: RollUpTable) {
    return {
      frames: sql<number>`sum(${table.frames})`.mapWith(Number),
      credits: sql<number>`sum(${table.credits})`.mapWith(Number),
      renderTimeMs: sql<number>`sum(${table.renderTimeMs})`.mapWith(Number),
      errors: sql<number>`sum(${table.errors})`.mapWith(Number),
      onlineMs: sql<number>`sum(${table.onlineMs})`.mapWith(Number),
    };
  }

  private async addEverywhere(machineId: string, at: number, project: number, amounts: RollUpAmounts) {
    const machine = await this.machineKey(machineId);
    const rows: [key: number, project: number][] = [
      [machine, project],
      [FLEET_KEY, project],
      [FLEET_TOTAL_KEY, NO_PROJECT_KEY],
    ];
    for (const [key, projectOfRow] of rows) {
      await this.add(historyHourly, bucketOf(at, HOUR_MS), key, projectOfRow, amounts);
      await this.add(historyDaily, bucketOf(at, DAY_MS), key, projectOfRow, amounts);
    }
    if (project !== NO_PROJECT_KEY) await this.add(historyMonthly, monthOf(at), FLEET_KEY, project, amounts);
  }

  private async add(
    table: RollUpTable,
    bucket: number,
    machine: number,
    project: number,
    amounts: RollUpAmounts,
  ): Promise<void> {
    await this.db
      .insert(table)
      .values({ bucket, machine, project, ...amounts })
      .onConflictDoUpdate({
        target: [table.machine, table.bucket, table.project],
        set: {
          frames: sql`${table.frames} + excluded.frames`,
          credits: sql`${table.credits} + excluded.credits`,
          renderTimeMs: sql`${table.renderTimeMs} + excluded.render_time_ms`,
          errors: sql`${table.errors} + excluded.errors`,
          onlineMs: sql`${table.onlineMs} + excluded.online_ms`,
        },
      });
  }
}
