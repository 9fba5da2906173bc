import { z } from 'zod';
import { adminProcedure, router } from '../trpc';
import { password } from './auth';
import { asTrpcError } from './auth-errors';

/** Console users, for admins: names and roles only — never a password or its hash. */
export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.core.accounts.list()),

  add: adminProcedure
    .input(z.object({ username: z.string().min(1).max(100), password, isAdmin: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => ctx.core.accounts.add(ctx.user, input, ctx.client).catch(asTrpcError)),

  remove: adminProcedure
    .input(z.object({ id: z.number().int().positive() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.accounts.remove(ctx.user, input.id).catch(asTrpcError);
      return { ok: true };
    }),
});
