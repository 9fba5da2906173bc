import { ControlCommandSchema } from '@flock/protocol';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { MAX_TAGS_PER_MACHINE, TagListSchema } from '../../../lib/tags';
import type { CommandOutcome } from '../../link/hub';
import type { FleetTotals, MachineSummary } from '../../views';
import { audited } from '../audited';
import { coalescedIds } from '../changes';
import { type Context, operatorProcedure, router, viewerProcedure } from '../trpc';

export type FleetUpdate =
  | { kind: 'full'; machines: MachineSummary[]; totals: FleetTotals }
  | { kind: 'delta'; machines: MachineSummary[]; removed: string[]; totals: FleetTotals };

const FLEET_PUSH_INTERVAL_MS = 200;

const machineIds = z.array(z.string().min(1).max(100)).min(1).max(10_000);
const tagChange = z.object({ ids: machineIds, tags: TagListSchema });
const describeTagChange = ({ ids, tags }: z.infer<typeof tagChange>) => ({
  machineIds: ids,
  params: { tags },
});

/** The machines of `ids` the fleet has (a removed or unknown id is no change). */
const knownIds = (ctx: Context, ids: string[]) => [...new Set(ids)].filter((id) => ctx.core.fleet.has(id));

/** Stored tags changed: the live views get each machine's new list. */
function showTags(ctx: Context, tags: Map<string, string[]>): { ok: true; machines: number } {
  for (const [id, machineTags] of tags) ctx.core.fleet.setTags(id, machineTags);
  return { ok: true, machines: tags.size };
}

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

  /**
   * Every machine's frames and credits today and over 7 days, its last frame and today's errors, from
   * the database in one grouped query (the table view asks again every minute).
   */
  activity: viewerProcedure.query(({ ctx }) => ctx.core.machineActivity()),

  /** Adds tags to one machine or many: all of them get every tag, or (one would have too many) none. */
  tag: operatorProcedure
    .input(tagChange)
    .use((call) => audited(call, describeTagChange))
    .mutation(async ({ ctx, input }) => {
      const added = await ctx.core.tags.add(knownIds(ctx, input.ids), input.tags, ctx.core.now());
      if (!added.ok) {
        const names = added.machineIds.map((id) => ctx.core.fleet.summary(id)?.name ?? id);
        const shown =
          names.length > 3
            ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
            : names.join(', ');
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `${shown} would have more than ${MAX_TAGS_PER_MACHINE} tags: remove some first.`,
        });
      }
      return showTags(ctx, added.tags);
    }),

  /** Removes tags from one machine or many (a machine without the tag is no change). */
  untag: operatorProcedure
    .input(tagChange)
    .use((call) => audited(call, describeTagChange))
    .mutation(async ({ ctx, input }) =>
      showTags(ctx, await ctx.core.tags.remove(knownIds(ctx, input.ids), input.tags)),
    ),

  /** Sends one command to many machines; answers per machine (acked, sent, or offline). */
  command: operatorProcedure
    .input(
      z.object({
        ids: machineIds,
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
    .mutation(async ({ ctx, input }) => {
      const ids = input.ids.filter((id) => ctx.core.fleet.has(id));
      const outcomes = await Promise.all(ids.map((id) => ctx.core.hub.command(id, input.command)));
      if (input.command.type === 'set-limits') {
        const taken = outcomes.filter((o) => o.status !== 'acked' || o.result.ok).map((o) => o.machineId);
        await ctx.core.profiles.keepAsOverrides(taken, input.command.limits, ctx.user.username);
      }
      return outcomes;
    }),
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
