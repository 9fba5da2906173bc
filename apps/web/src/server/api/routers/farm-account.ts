import { FarmAccountSchema } from '@flock/protocol';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { audited } from '../audited';
import { adminProcedure, type Context, router } from '../trpc';

const machineId = z.string().min(1).max(100);

/** What a person types: the login trimmed; the render key exactly as given. */
const AccountInput = z.object({
  login: z.string().trim().pipe(FarmAccountSchema.shape.login),
  renderKey: FarmAccountSchema.shape.renderKey,
});

function requireMachine(ctx: Context, id: string): void {
  if (!ctx.core.fleet.record(id)) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such machine.' });
}

/**
 * The SheepIt account agents render with when they have none of their own: the fleet's, and any
 * machine's own. Admins only; the render key goes in and never comes back out.
 */
export const farmAccountRouter = router({
  get: adminProcedure.query(({ ctx }) => ctx.core.farmAccounts.views()),

  setFleet: adminProcedure
    .input(AccountInput)
    .use((call) => audited(call, ({ login }) => ({ params: { login } })))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.farmAccounts.setFleet(input, ctx.user.username);
      return ctx.core.farmAccounts.views();
    }),

  clearFleet: adminProcedure
    .use((call) => audited(call))
    .mutation(async ({ ctx }) => {
      await ctx.core.farmAccounts.clearFleet(ctx.user.username);
      return ctx.core.farmAccounts.views();
    }),

  setMachine: adminProcedure
    .input(AccountInput.extend({ id: machineId }))
    .use((call) => audited(call, ({ id, login }) => ({ machineIds: [id], params: { login } })))
    .mutation(async ({ ctx, input }) => {
      requireMachine(ctx, input.id);
      const { id, ...account } = input;
      await ctx.core.farmAccounts.setMachine(id, account, ctx.user.username);
      return ctx.core.farmAccounts.views();
    }),

  clearMachine: adminProcedure
    .input(z.object({ id: machineId }))
    .use((call) => audited(call, ({ id }) => ({ machineIds: [id] })))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.farmAccounts.clearMachine(input.id, ctx.user.username);
      return ctx.core.farmAccounts.views();
    }),
});
