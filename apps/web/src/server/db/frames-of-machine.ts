import { eq } from 'drizzle-orm';
import { historyMachines } from '../history/schema';
import type { ConsoleDb } from './client';
import { frames } from './schema';

/**
 * The condition that picks one machine's `frames` rows by its console id: frames name their machine by
 * its history key, looked up once in `history_machines` so the (machine, finished) index finds them.
 * A machine without a history key has no frames.
 */
export function framesOfMachine(db: ConsoleDb, machineId: string) {
  return eq(
    frames.machine,
    db
      .select({ key: historyMachines.key })
      .from(historyMachines)
      .where(eq(historyMachines.machineId, machineId)),
  );
}
