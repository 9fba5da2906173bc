import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { clearedSessionCookie, sessionCookie } from '../../auth/cookies';
import { AuthError, SESSION_TTL_MS } from '../../auth/service';
import { type Context, protectedProcedure, publicProcedure, router } from '../trpc';

const password = z.string().min(1).max(500);

function startSession(ctx: Context, token: string): void {
  ctx.setCookies.push(sessionCookie(token, SESSION_TTL_MS / 1000, ctx.core.secureCookies));
}

function asTrpcError(error: unknown): never {
  if (!(error instanceof AuthError)) throw error;
  const code =
    error.kind === 'rate-limited'
      ? 'TOO_MANY_REQUESTS'
      : error.kind === 'weak-password'
        ? 'BAD_REQUEST'
        : 'UNAUTHORIZED';
  throw new TRPCError({ code, message: error.message });
}

export const authRouter = router({
  status: publicProcedure.query(async ({ ctx }) => ({
    needsSetup: await ctx.core.auth.needsSetup(),
    user: ctx.user && { username: ctx.user.username },
  })),

  setup: publicProcedure.input(z.object({ password })).mutation(async ({ ctx, input }) => {
    startSession(ctx, await ctx.core.auth.setup(input.password).catch(asTrpcError));
    return { ok: true };
  }),

  login: publicProcedure
    .input(z.object({ username: z.string().min(1).max(100).default('admin'), password }))
    .mutation(async ({ ctx, input }) => {
      startSession(
        ctx,
        await ctx.core.auth.login(input.username, input.password, ctx.client).catch(asTrpcError),
      );
      return { ok: true };
    }),

  logout: protectedProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await ctx.core.auth.logout(ctx.sessionToken);
    ctx.setCookies.push(clearedSessionCookie());
    return { ok: true };
  }),
});
