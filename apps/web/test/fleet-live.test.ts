import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPending, type FleetView, foldUpdate, type PendingUpdates } from '../src/lib/fleet-live';
import type { FleetUpdate } from '../src/server/api/routers/fleet';
import type { FleetTotals, MachineSummary } from '../src/server/views';

const totals = (machines: number) => ({ machines }) as FleetTotals;
const summary = (id: string, framesToday: number) => ({ id, name: id, framesToday }) as MachineSummary;

/** One update applied on its own: the page's behaviour before updates were folded into frames. */
function applyOne(view: FleetView | null, update: FleetUpdate): FleetView {
  if (update.kind === 'full' || !view) {
    return { machines: new Map(update.machines.map((m) => [m.id, m])), totals: update.totals };
  }
  const machines = new Map(view.machines);
  for (const machine of update.machines) machines.set(machine.id, machine);
  for (const id of update.removed) machines.delete(id);
  return { machines, totals: update.totals };
}

const id = fc.integer({ min: 0, max: 9 }).map((n) => `m${n}`);
const machines = fc.uniqueArray(
  fc.record({ id, frames: fc.nat(100) }).map(({ id, frames }) => summary(id, frames)),
  { selector: (m) => m.id, maxLength: 6 },
);
const full: fc.Arbitrary<FleetUpdate> = fc.record({
  kind: fc.constant('full' as const),
  machines,
  totals: fc.nat(9).map(totals),
});
// As the server sends them (routers/fleet.ts): a machine of a delta is either changed or removed.
const delta: fc.Arbitrary<FleetUpdate> = fc
  .record({ machines, removed: fc.uniqueArray(id, { maxLength: 3 }), totals: fc.nat(9).map(totals) })
  .map(({ machines, removed, totals }) => ({
    kind: 'delta' as const,
    machines,
    removed: removed.filter((gone) => !machines.some((machine) => machine.id === gone)),
    totals,
  }));
const update = fc.oneof(full, delta);

describe('live fleet updates folded into one per frame', () => {
  it('give the same view as applying every update on its own, wherever the frames fall', () => {
    fc.assert(
      // The feed starts with a full snapshot, then sends anything.
      fc.property(full, fc.array(fc.tuple(update, fc.boolean()), { maxLength: 12 }), (first, rest) => {
        const arrivals: [FleetUpdate, boolean][] = [[first, false], ...rest];
        let one: FleetView | null = null;
        let folded: FleetView | null = null;
        let pending: PendingUpdates | null = null;
        for (const [next, frameAfter] of arrivals) {
          one = applyOne(one, next);
          pending = foldUpdate(pending, next);
          if (frameAfter) {
            folded = applyPending(folded, pending);
            pending = null;
          }
        }
        if (pending) folded = applyPending(folded, pending);
        // The same machines and totals (the map's order does not matter: the page sorts what it shows).
        expect(folded?.totals).toEqual(one?.totals);
        expect(Object.fromEntries(folded?.machines ?? [])).toEqual(Object.fromEntries(one?.machines ?? []));
      }),
    );
  });

  it('hold one entry per machine however many updates wait for a frame (a hidden tab draws none)', () => {
    let pending: PendingUpdates | null = null;
    for (let i = 0; i < 1000; i++) {
      pending = foldUpdate(pending, {
        kind: 'delta',
        machines: [summary(`m${i % 5}`, i)],
        removed: [],
        totals: totals(5),
      });
    }
    expect(pending?.changed.size).toBe(5);
    expect(applyPending(null, pending as PendingUpdates).machines.get('m4')?.framesToday).toBe(999);
  });
});
