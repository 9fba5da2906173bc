import { lt, sql } from 'drizzle-orm';
import type { ConsoleDb } from './client';
import { eventOrigins } from './schema';

/**
 * Claims an event's (machine, boot, seq) in one statement: true when the seq is past the newest one
 * stored of its boot (the newest is now this one), false for a replay.
 */
export function claimEventOrigin(
  db: ConsoleDb,
  origin: { machineId: string; bootId: string; seq: number; at: number },
): boolean {
  const claimed = db
    .insert(eventOrigins)
    .values(origin)
    .onConflictDoUpdate({
      target: [eventOrigins.machineId, eventOrigins.bootId],
      set: { seq: sql`excluded.seq`, at: sql`excluded.at` },
      setWhere: sql`excluded.seq > ${eventOrigins.seq}`,
    })
    .returning({ seq: eventOrigins.seq })
    .all();
  return claimed.length > 0;
}

/** Forgets the boots whose newest event is older than `before` (with the raw rows). Returns how many. */
export function forgetEventOrigins(db: ConsoleDb, before: number): number {
  return db.delete(eventOrigins).where(lt(eventOrigins.at, before)).returning({ at: eventOrigins.at }).all()
    .length;
}
