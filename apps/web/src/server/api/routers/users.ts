import { z } from 'zod';
import { RoleSchema } from '../../../lib/roles';
import { audited } from '../audited';
import { adminProcedure, router } from '../trpc';
import { password } from './auth';
import { asTrpcError } from './auth-errors';

/** A user-changing call's audit parameters: the user's name as well, so the entry reads after a removal. */
const auditedOnUser = <I extends { id: number }, R extends { ok: boolean }>(
  call: Parameters<typeof audited<I, R>>[0],
) =>
  audited(call, async (input, ctx) => {
    const username = await ctx.core.accounts.usernameOf(input.id);
    return { params: { ...(username === undefined ? {} : { username }), ...input } };
  });

/** Console users, for admins: names and roles only — never a password or its hash. */
export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.core.accounts.list()),

  add: adminProcedure
    .input(z.object({ username: z.string().min(1).max(100), password, role: RoleSchema.default('operator') }))
    .use((call) => audited(call, ({ username, role }) => ({ params: { username, role } })))
    .mutation(({ ctx, input }) => ctx.core.accounts.add(ctx.user, input, ctx.client).catch(asTrpcError)),

  /** The last admin stays an admin (PRECONDITION_FAILED). */
  setRole: adminProcedure
    .input(z.object({ id: z.number().int().positive(), role: RoleSchema }))
    .use(auditedOnUser)
    .mutation(({ ctx, input }) =>
      ctx.core.accounts.setRole(ctx.user, input.id, input.role).catch(asTrpcError),
    ),

  remove: adminProcedure
    .input(z.object({ id: z.number().int().positive() }))
    .use(auditedOnUser)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.accounts.remove(ctx.user, input.id).catch(asTrpcError);
      return { ok: true };
    }),
});
