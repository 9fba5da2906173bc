import { ControlCommandSchema } from '@flock/protocol';
import { z } from 'zod';
import type { CommandOutcome } from '../../link/hub';
import type { FleetTotals, MachineSummary } from '../../views';
import { audited } from '../audited';
import { coalescedIds } from '../changes';
import { operatorProcedure, router, viewerProcedure } from '../trpc';

export type FleetUpdate =
  | { kind: 'full'; machines: MachineSummary[]; totals: FleetTotals }
  | { kind: 'delta'; machines: MachineSummary[]; removed: string[]; totals: FleetTotals };

const FLEET_PUSH_INTERVAL_MS = 200;

export const fleetRouter = router({
  // Totals first: they read today's per-machine counters that the summaries show.
  list: viewerProcedure.query(async ({ ctx }) => {
    const totals = await ctx.core.fleet.totals();
    return { machines: ctx.core.fleet.summaries(), totals };
  }),

  /** The overview's live feed: everything once, then only the machines that changed. */
  live: viewerProcedure.subscription(async function* ({ ctx, signal }): AsyncGenerator<FleetUpdate> {
    const { fleet } = ctx.core;
    const changes = coalescedIds(
      fleet.bus,
      ['machine', 'removed', 'agentEvent'],
      signal,
      FLEET_PUSH_INTERVAL_MS,
    );
    const totals = await fleet.totals();
    yield { kind: 'full', machines: fleet.summaries(), totals };
    for await (const batch of changes) {
      const totals = await fleet.totals();
      const machines: MachineSummary[] = [];
      const removed: string[] = [];
      for (const id of batch.keys()) {
        const summary = fleet.summary(id);
        if (summary) machines.push(summary);
        else removed.push(id);
      }
      yield { kind: 'delta', machines, removed, totals };
    }
  }),

  /** Sends one command to many machines; answers per machine (acked, sent, or offline). */
  command: operatorProcedure
    .input(
      z.object({
        ids: z.array(z.string().min(1).max(100)).min(1).max(10_000),
        // An update goes through the roll-out (one machine first; admins only): `updates.start`.
        command: ControlCommandSchema.refine((command) => command.type !== 'update', {
          message: 'updates are rolled out from the Updates panel',
        }),
      }),
    )
    .use((call) =>
      audited(
        call,
        ({ ids, command }) => ({ machineIds: ids, params: { command } }),
        (outcomes: CommandOutcome[]) => outcomeCounts(outcomes),
      ),
    )
    .mutation(({ ctx, input }) =>
      Promise.all(
        input.ids.filter((id) => ctx.core.fleet.has(id)).map((id) => ctx.core.hub.command(id, input.command)),
      ),
    ),
});

/** E.g. `2 acked, 1 offline`: how a command to many machines went, for the audit trail. */
function outcomeCounts(outcomes: CommandOutcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = outcome.status === 'acked' && !outcome.result.ok ? 'refused' : outcome.status;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no such machine';
  return [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
}
