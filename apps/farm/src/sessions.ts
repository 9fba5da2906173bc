import { randomBytes } from 'node:crypto';
import type { ConfigParams, SpeedtestResult } from '@flock/protocol';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { FarmClock } from './clock';
import type { FarmDb } from './db/client';
import { type SessionRow, sessionBlocks, sessions } from './db/schema';
import type { FarmLogger } from './log';

/**
 * Worker sessions, carried by a cookie like the PHP farm's. A session that sends no request for longer
 * than max-period is dead: its next request gets 202 (job request) or 304 (validation) and its
 * unvalidated jobs go back to the queue (the `onEnded` hook, run inside the same transaction).
 */
export const SESSION_COOKIE = 'PHPSESSID';

export type SessionEndReason = 'expired' | 'logged-out';

export interface SessionsOptions {
  maxPeriodMs: number;
  onEnded: (sessionId: string, reason: SessionEndReason) => void;
}

export class Sessions {
  private readonly queries: ReturnType<typeof prepareSessionQueries>;
  /**
   * No alive session can have expired before this time: the oldest last-seen time among them plus
   * max-period, as of the last sweep, lowered by every touch and login since. Until the clock passes
   * it, `touch` skips the sweep query; past it, the sweep runs before the touch, as it always did.
   */
  private sweepDueAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: FarmDb,
    private readonly clock: FarmClock,
    private readonly log: FarmLogger,
    private readonly options: SessionsOptions,
  ) {
    this.queries = prepareSessionQueries(db);
  }

  get maxPeriodMs(): number {
    return this.options.maxPeriodMs;
  }

  create(login: string, params: ConfigParams): SessionRow {
    const now = this.clock.now();
    this.seenAt(now);
    return this.db
      .insert(sessions)
      .values({
        id: randomBytes(16).toString('hex'),
        login,
        createdAt: now,
        lastSeenAt: now,
        hostname: params.hostname ?? null,
        os: params.os,
        clientVersion: params.version,
        cpuModelName: params.cpuModelName,
        cpuCores: params.cpuCores,
        ramKiB: params.ramKiB,
      })
      .returning()
      .get();
  }

  /** The live session with this id, its last-seen time refreshed; undefined when unknown or ended. */
  touch(id: string | undefined): SessionRow | undefined {
    if (id === undefined) return undefined;
    if (this.clock.now() > this.sweepDueAt) this.reapExpired();
    const now = this.clock.now();
    const session = this.queries.touch.get({ id, now });
    if (session) this.seenAt(now);
    return session;
  }

  get(id: string | undefined): SessionRow | undefined {
    if (id === undefined) return undefined;
    return this.queries.get.get({ id });
  }

  /** Ends every session silent for longer than max-period; returns how many ended. */
  reapExpired(): number {
    const now = this.clock.now();
    const expired = this.queries.expired.all({ deadline: now - this.options.maxPeriodMs });
    for (const { id } of expired) this.end(id, 'expired');
    const oldest = this.queries.oldestAlive.get()?.lastSeenAt;
    this.sweepDueAt = oldest === null || oldest === undefined ? Infinity : oldest + this.options.maxPeriodMs;
    return expired.length;
  }

  /** A session was seen at `now`: it expires after now + max-period at the earliest. */
  private seenAt(now: number): void {
    this.sweepDueAt = Math.min(this.sweepDueAt, now + this.options.maxPeriodMs);
  }

  end(id: string, reason: SessionEndReason): void {
    this.db.transaction(() => {
      const ended = this.db
        .update(sessions)
        .set({ state: reason === 'expired' ? 'dead' : 'logged-out', endedAt: this.clock.now() })
        .where(and(eq(sessions.id, id), eq(sessions.state, 'alive')))
        .returning({ login: sessions.login })
        .get();
      if (!ended) return;
      // A block lives in the client's memory: a new login is a new session with none.
      this.db.delete(sessionBlocks).where(eq(sessionBlocks.sessionId, id)).run();
      this.log.info(
        `session ${reason === 'expired' ? 'died (no request within max-period)' : 'logged out'}`,
        {
          session: shortId(id),
          login: ended.login,
        },
      );
      this.options.onEnded(id, reason);
    });
  }

  setPaused(id: string, paused: boolean): void {
    this.db.update(sessions).set({ paused }).where(eq(sessions.id, id)).run();
  }

  recordSpeedtest(id: string, results: readonly SpeedtestResult[]): void {
    this.db
      .update(sessions)
      .set({ speedtest: JSON.stringify(results) })
      .where(eq(sessions.id, id))
      .run();
  }

  list(): SessionRow[] {
    return this.db.select().from(sessions).orderBy(sessions.createdAt).all();
  }

  aliveCount(): number {
    return this.queries.aliveCount.get()?.count ?? 0;
  }
}

/** The statements of the per-request path, built once: drizzle's query building costs more than SQLite. */
function prepareSessionQueries(db: FarmDb) {
  const alive = eq(sessions.state, 'alive');
  return {
    touch: db
      .update(sessions)
      .set({ lastSeenAt: sql`${sql.placeholder('now')}` })
      .where(and(eq(sessions.id, sql.placeholder('id')), alive))
      .returning()
      .prepare(),
    get: db
      .select()
      .from(sessions)
      .where(eq(sessions.id, sql.placeholder('id')))
      .prepare(),
    expired: db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(alive, lt(sessions.lastSeenAt, sql.placeholder('deadline'))))
      .prepare(),
    oldestAlive: db
      .select({ lastSeenAt: sql<number | null>`min(${sessions.lastSeenAt})` })
      .from(sessions)
      .where(alive)
      .prepare(),
    aliveCount: db.select({ count: sql<number>`count(*)` }).from(sessions).where(alive).prepare(),
  };
}

/** Enough of a session id to follow it in the log without printing the secret. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
