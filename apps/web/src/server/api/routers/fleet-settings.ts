import {
  ArchiveMd5Schema,
  ClientVersionSchema,
  FarmServerUrlSchema,
  MAX_BLOCKED_PROJECTS,
} from '@flock/protocol';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { audited } from '../audited';
import { adminProcedure, operatorProcedure, router, viewerProcedure } from '../trpc';

/** Settings for every machine: each change is pushed to every agent over the link at once. */
export const fleetSettingsRouter = router({
  get: viewerProcedure.query(({ ctx }) => ctx.core.fleetSettings.settings),

  /** The client version every agent sends at its next login (null: each agent's own); admins only. */
  setClientVersion: adminProcedure
    .input(z.object({ clientVersion: ClientVersionSchema.nullable() }))
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.fleetSettings.setClientVersion(input.clientVersion, ctx.user.username);
      return ctx.core.fleetSettings.settings;
    }),

  /** The farm every agent without a server of its own logs in to next (null: the public farm); admins only. */
  setFarmServer: adminProcedure
    .input(z.object({ farmServer: FarmServerUrlSchema.nullable() }))
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.fleetSettings.setFarmServer(input.farmServer, ctx.user.username);
      return ctx.core.fleetSettings.settings;
    }),

  /** No machine renders this project any more; machines rendering it now stop (reported as type 20). */
  blockProject: operatorProcedure
    .input(z.object({ archiveMd5: ArchiveMd5Schema, name: z.string().trim().min(1).max(300) }))
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      const outcome = await ctx.core.fleetSettings.blockProject(input, ctx.user.username);
      if (outcome === 'full') {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `The fleet already blocks ${MAX_BLOCKED_PROJECTS} projects: unblock some first.`,
        });
      }
      return { outcome };
    }),

  unblockProject: operatorProcedure
    .input(z.object({ archiveMd5: ArchiveMd5Schema }))
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.core.fleetSettings.unblockProject(input.archiveMd5, ctx.user.username)))
        throw new TRPCError({ code: 'NOT_FOUND', message: 'This project is not blocked for the fleet.' });
      return { ok: true };
    }),
});
