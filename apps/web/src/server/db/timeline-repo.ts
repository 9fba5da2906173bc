import type { AgentEvent, JobPhaseSpan, NotRenderingReason } from '@flock/protocol';
import {
  and,
  asc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  sql,
} from 'drizzle-orm';
import type { ConsoleDb } from './client';
import { framesOfMachine } from './frames-of-machine';
import { events, frames, historyProjects, idleSpans, machines } from './schema';

export type IdleSpanRow = typeof idleSpans.$inferSelect;

/** Idle spans and raw frames are kept this long. */
export const TIMELINE_RETENTION_MS = 30 * 24 * 60 * 60_000;

/** A job the timeline draws: a delivered frame, or a job that failed or was stopped, with its phases. */
export interface TimelineJob {
  jobId: string;
  /** Null for a failed job whose error names only the job (an older agent's, the console not knowing it). */
  project: string | null;
  frame: number | null;
  outcome: 'rendered' | 'failed' | 'stopped';
  /** When the console heard of its end (the frame delivered, the failure, the stop). */
  endedAt: number;
  phases: JobPhaseSpan[];
  /** Blender's own render time of a delivered frame. */
  renderTimeMs: number | null;
  /** What went wrong, or who stopped it. */
  detail: string | null;
}

type JobEndEvent = Extract<AgentEvent, { kind: 'error' | 'job-stopped' }>;

/** The queries behind a machine's timeline (the console repository's other tables are in repo.ts). */
export class TimelineRepo {
  constructor(private readonly db: ConsoleDb) {}

  async openSpan(
    machineId: string,
    startedAt: number,
    status: string,
    reason: NotRenderingReason | null,
  ): Promise<number> {
    const row = await this.db
      .insert(idleSpans)
      .values({ machineId, startedAt, status, reason })
      .returning({ id: idleSpans.id })
      .get();
    return row.id;
  }

  /** Ends a span, never before it began. */
  async closeSpan(id: number, endedAt: number): Promise<void> {
    await this.db
      .update(idleSpans)
      .set({ endedAt: sql`max(${idleSpans.startedAt}, ${endedAt})` })
      .where(and(eq(idleSpans.id, id), isNull(idleSpans.endedAt)));
  }

  /** A stretch already over (a link that was down), stored whole. */
  async insertClosedSpan(
    machineId: string,
    startedAt: number,
    endedAt: number,
    status: string,
  ): Promise<void> {
    await this.db.insert(idleSpans).values({ machineId, startedAt, endedAt, status, reason: null });
  }

  /**
   * Spans still open when the console stopped (or crashed) end when their machine was last heard
   * of; the console saw nothing after that. Returns how many.
   */
  async closeOrphanedSpans(): Promise<number> {
    const lastSeen = this.db
      .select({ at: machines.lastSeenAt })
      .from(machines)
      .where(eq(machines.id, idleSpans.machineId));
    const closed = await this.db
      .update(idleSpans)
      .set({ endedAt: sql`max(${idleSpans.startedAt}, coalesce((${lastSeen}), ${idleSpans.startedAt}))` })
      .where(isNull(idleSpans.endedAt))
      .returning({ id: idleSpans.id })
      .all();
    return closed.length;
  }

  /** Spans that overlap [from, to], oldest first, at most `limit`. */
  async spansBetween(machineId: string, from: number, to: number, limit: number): Promise<IdleSpanRow[]> {
    return this.db
      .select()
      .from(idleSpans)
      .where(
        and(
          eq(idleSpans.machineId, machineId),
          lt(idleSpans.startedAt, to),
          or(isNull(idleSpans.endedAt), gt(idleSpans.endedAt, from)),
        ),
      )
      .orderBy(asc(idleSpans.startedAt), asc(idleSpans.id))
      .limit(limit)
      .all();
  }

  /**
   * Jobs with phases whose end the console heard of in [from, to + `lateMs`] (a frame delivered after
   * `to` may have been rendered inside the window), oldest first, at most `limit` of each kind.
   */
  async jobsBetween(
    machineId: string,
    from: number,
    to: number,
    lateMs: number,
    limit: number,
  ): Promise<TimelineJob[]> {
    const frameRows = await this.db
      .select({ ...getTableColumns(frames), project: historyProjects.name })
      .from(frames)
      .innerJoin(historyProjects, eq(historyProjects.key, frames.project))
      .where(
        and(
          framesOfMachine(this.db, machineId),
          isNotNull(frames.phases),
          gte(frames.finishedAt, from),
          lte(frames.finishedAt, to + lateMs),
        ),
      )
      .orderBy(asc(frames.finishedAt), asc(frames.id))
      .limit(limit)
      .all();
    const endRows = await this.db
      .select()
      .from(events)
      .where(
        and(
          eq(events.machineId, machineId),
          inArray(events.kind, ['error', 'job-stopped']),
          gte(events.at, from),
          lte(events.at, to + lateMs),
        ),
      )
      .orderBy(asc(events.at), asc(events.id))
      .limit(limit)
      .all();
    const delivered = frameRows.map(
      (row): TimelineJob => ({
        jobId: row.jobId,
        project: row.project,
        frame: row.frame,
        outcome: 'rendered',
        endedAt: row.finishedAt,
        phases: row.phases ?? [],
        renderTimeMs: row.renderTimeMs,
        detail: null,
      }),
    );
    const ended = endRows.flatMap((row) => {
      const job = jobEnd(row.payload, row.at);
      return job ? [job] : [];
    });
    return [...delivered, ...ended].sort((a, b) => a.endedAt - b.endedAt);
  }

  /** Deletes spans that ended before `before`. Returns how many. */
  async pruneSpans(before: number): Promise<number> {
    const gone = await this.db
      .delete(idleSpans)
      .where(and(isNotNull(idleSpans.endedAt), lt(idleSpans.endedAt, before)))
      .returning({ id: idleSpans.id })
      .all();
    return gone.length;
  }
}

/** A failed or stopped job with phases, as the timeline draws it; null for other events. */
function jobEnd(event: AgentEvent, at: number): TimelineJob | null {
  if ((event.kind !== 'error' && event.kind !== 'job-stopped') || !event.phases?.length) return null;
  const ended = event as JobEndEvent;
  if (ended.kind === 'error' && ended.jobId === null) return null;
  const stopped = ended.kind === 'job-stopped';
  return {
    jobId: ended.jobId ?? '',
    project: ended.project ?? null,
    frame: ended.frame ?? null,
    outcome: stopped ? 'stopped' : 'failed',
    endedAt: at,
    phases: event.phases,
    renderTimeMs: null,
    detail: stopped ? `stopped (${ended.by})` : `${ended.code}: ${ended.message.slice(0, 300)}`,
  };
}
