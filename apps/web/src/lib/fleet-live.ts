import type { FleetUpdate } from '../server/api/routers/fleet';
import type { FleetTotals, MachineSummary } from '../server/views';

/** Every machine and the fleet's totals, as the overview shows them. */
export interface FleetView {
  machines: ReadonlyMap<string, MachineSummary>;
  totals: FleetTotals;
}

/**
 * The live updates received since the page last drew, folded into one: a full snapshot replaces
 * everything before it, then the latest summary of each changed machine (null: removed). It holds at
 * most one entry per machine however long the page waits to draw (a hidden tab draws no frames).
 */
export interface PendingUpdates {
  full: MachineSummary[] | null;
  changed: Map<string, MachineSummary | null>;
  totals: FleetTotals;
}

/** `update` added to what is pending (null: nothing yet). */
export function foldUpdate(pending: PendingUpdates | null, update: FleetUpdate): PendingUpdates {
  if (update.kind === 'full') return { full: update.machines, changed: new Map(), totals: update.totals };
  const changed = pending?.changed ?? new Map<string, MachineSummary | null>();
  for (const machine of update.machines) changed.set(machine.id, machine);
  for (const id of update.removed) changed.set(id, null);
  return { full: pending?.full ?? null, changed, totals: update.totals };
}

/** The view once the pending updates are applied: one new map however many updates were folded. */
export function applyPending(view: FleetView | null, pending: PendingUpdates): FleetView {
  const machines = pending.full
    ? new Map(pending.full.map((machine) => [machine.id, machine]))
    : new Map(view?.machines);
  for (const [id, machine] of pending.changed) {
    if (machine) machines.set(id, machine);
    else machines.delete(id);
  }
  return { machines, totals: pending.totals };
}
