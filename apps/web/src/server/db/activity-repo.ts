import { and, eq, gte, sql } from 'drizzle-orm';
import type { ConsoleDb } from './client';
import { events, frames, historyMachines } from './schema';

const DAY_MS = 86_400_000;

/** One machine's delivered work, from the stored frames and error events. */
export interface MachineActivity {
  machineId: string;
  frames7d: number;
  credits7d: number;
  /** When its newest stored frame finished (frames are kept 30 days); null when none is stored. */
  lastFrameAt: number | null;
  errorsToday: number;
}

/**
 * Frames and credits over the last 7 days, the last frame and today's errors of every machine that
 * has any: one grouped query over `frames` and one over `events`, whatever the fleet's size.
 * `todayStart` is the console's local midnight. Today's frames and credits are not here: the live
 * machine summaries carry them (`framesToday`, `creditsToday`, kept by the history).
 */
export async function machineActivity(
  db: ConsoleDb,
  { now, todayStart }: { now: number; todayStart: number },
): Promise<MachineActivity[]> {
  const weekStart = now - 7 * DAY_MS;
  const week = sql`${frames.finishedAt} >= ${weekStart}`;
  const frameRows = db
    .select({
      machineId: historyMachines.machineId,
      frames7d: sql<number>`sum(case when ${week} then 1 else 0 end)`,
      credits7d: sql<number>`coalesce(sum(case when ${week} then ${frames.credits} end), 0)`,
      lastFrameAt: sql<number>`max(${frames.finishedAt})`,
    })
    .from(historyMachines)
    .innerJoin(frames, eq(frames.machine, historyMachines.key))
    .groupBy(historyMachines.key)
    .all();
  const errorRows = db
    .select({ machineId: events.machineId, errorsToday: sql<number>`count(*)` })
    .from(events)
    .where(and(eq(events.kind, 'error'), gte(events.at, todayStart)))
    .groupBy(events.machineId)
    .all();
  const byMachine = new Map<string, MachineActivity>();
  const of = (machineId: string) => {
    let activity = byMachine.get(machineId);
    if (!activity) {
      activity = {
        machineId,
        frames7d: 0,
        credits7d: 0,
        lastFrameAt: null,
        errorsToday: 0,
      };
      byMachine.set(machineId, activity);
    }
    return activity;
  };
  for (const row of frameRows) Object.assign(of(row.machineId), row);
  for (const row of errorRows) of(row.machineId).errorsToday = row.errorsToday;
  return [...byMachine.values()];
}

/** Local midnight of the day `now` falls in, in the console's own zone. */
export function startOfLocalDay(now: number): number {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  return midnight.getTime();
}
