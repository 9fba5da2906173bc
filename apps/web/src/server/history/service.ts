import { log } from '../log';
import { bucketOf, FLEET_HOURLY_KEPT_MS, HOUR_MS, MACHINE_HOURLY_KEPT_MS, RAW_KEPT_MS } from './buckets';
import type { HistoryRepo } from './repo';
import { type HistoryRange, type HistorySeries, historySeries } from './series';

export interface HistorySweep {
  /** Raw frames and events past 30 days. */
  frames: number;
  events: number;
  /** Hourly roll-up rows past their retention. */
  hourly: number;
}

/**
 * The console's history: connected time of each machine (counted from its link's connect to its
 * disconnect, written at least every sweep), retention, and the series the charts read.
 */
export class HistoryService {
  /** Machines connected now, and up to when their connected time is already stored. */
  private readonly onlineSince = new Map<string, number>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly repo: HistoryRepo,
    private readonly now: () => number,
  ) {}

  connected(machineId: string): void {
    if (!this.onlineSince.has(machineId)) this.onlineSince.set(machineId, this.now());
  }

  disconnected(machineId: string): void {
    const since = this.onlineSince.get(machineId);
    if (since === undefined) return;
    this.onlineSince.delete(machineId);
    this.storeOnline(machineId, since, this.now());
  }

  /** Stores the connected time of every connected machine up to now (each sweep, and at shutdown). */
  async flushOnline(): Promise<void> {
    const now = this.now();
    for (const [machineId, since] of this.onlineSince) {
      this.onlineSince.set(machineId, now);
      this.storeOnline(machineId, since, now);
    }
    await this.writes;
  }

  /** Deletes what is past its retention. */
  async sweep(): Promise<HistorySweep> {
    await this.flushOnline();
    const now = this.now();
    const gone = await this.repo.deleteOld({
      rawBefore: now - RAW_KEPT_MS,
      machineHourlyBefore: bucketOf(now - MACHINE_HOURLY_KEPT_MS, HOUR_MS),
      fleetHourlyBefore: bucketOf(now - FLEET_HOURLY_KEPT_MS, HOUR_MS),
    });
    if (gone.frames + gone.events + gone.hourly > 0)
      log(
        'info',
        `history: deleted ${gone.frames} frame(s) and ${gone.events} event(s) past 30 days, ${gone.hourly} hourly roll-up row(s) past their retention`,
      );
    return gone;
  }

  /** The stored series, plus the connected time of machines online now that is not stored yet. */
  async series(query: {
    range: HistoryRange;
    machineId?: string;
    tzOffsetMinutes: number;
  }): Promise<HistorySeries> {
    const now = this.now();
    const series = await historySeries(this.repo, { ...query, now });
    const since =
      query.machineId === undefined
        ? [...this.onlineSince.values()]
        : [this.onlineSince.get(query.machineId)];
    for (const from of since) if (from !== undefined) addConnectedTime(series, from, now);
    return series;
  }

  private storeOnline(machineId: string, from: number, to: number): void {
    if (to <= from) return;
    this.writes = this.writes
      .then(() => this.repo.addOnline(machineId, from, to))
      .catch((error: Error) =>
        log('error', `history: connected time of ${machineId} not stored: ${error.message}`),
      );
  }
}

/** Adds [from, to) of connected time to the buckets it overlaps (the newest ones). */
function addConnectedTime(series: HistorySeries, from: number, to: number): void {
  for (let index = series.buckets.length - 1; index >= 0; index--) {
    const bucket = series.buckets[index] as HistorySeries['buckets'][number];
    const end = series.buckets[index + 1]?.start ?? series.to;
    if (end <= from) break;
    bucket.onlineMs += Math.max(0, Math.min(end, to) - Math.max(bucket.start, from));
  }
}
