import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { RolloutError, Rollouts } from '../../updates/rollout';
import { audited } from '../audited';
import { adminProcedure, router, viewerProcedure } from '../trpc';

/** The agent builds the console keeps, how many machines run each, and the roll-out of one. */
export const updatesRouter = router({
  get: viewerProcedure.query(({ ctx }) => {
    const { agentBuilds, fleet, rollouts } = ctx.core;
    const running = new Map<string, number>();
    for (const summary of fleet.summaries()) {
      const versionId = fleet.record(summary.id)?.state?.lifecycle?.versionId;
      if (versionId) running.set(versionId, (running.get(versionId) ?? 0) + 1);
    }
    return {
      /** Newest first: the first is the build "Update" rolls out, the others can be rolled back to. */
      builds: agentBuilds.builds.map((build) => {
        const versionId = Rollouts.versionIdOf(build);
        return {
          version: build.version,
          sha256: build.sha256,
          versionId,
          addedAt: build.addedAt,
          machines: running.get(versionId) ?? 0,
        };
      }),
      machines: fleet.summaries().length,
      rollout: rollouts.rollout,
    };
  }),

  /** Rolls a kept build out: one machine first, the rest once it is back on it; admins only. */
  start: adminProcedure
    .input(z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      try {
        return await ctx.core.rollouts.start(input.sha256, ctx.user.username);
      } catch (error) {
        throw refusal(error);
      }
    }),

  /** Cancels the roll-out under way: machines not yet sent the build keep theirs; admins only. */
  cancel: adminProcedure
    .use((call) => audited(call))
    .mutation(({ ctx }) => {
      try {
        return ctx.core.rollouts.cancel(ctx.user.username);
      } catch (error) {
        throw refusal(error);
      }
    }),
});

function refusal(error: unknown): unknown {
  return error instanceof RolloutError
    ? new TRPCError({ code: 'PRECONDITION_FAILED', message: `${error.message}.` })
    : error;
}
