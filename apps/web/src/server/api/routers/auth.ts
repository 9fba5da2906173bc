import { z } from 'zod';
import { clearedSessionCookie, sessionCookie } from '../../auth/cookies';
import { SESSION_TTL_MS } from '../../auth/service';
import { type Context, publicProcedure, router, viewerProcedure } from '../trpc';
import { asTrpcError } from './auth-errors';

export const password = z.string().min(1).max(500);

function startSession(ctx: Context, token: string): void {
  ctx.setCookies.push(sessionCookie(token, SESSION_TTL_MS / 1000, ctx.core.secureCookies));
}

export const authRouter = router({
  status: publicProcedure.query(async ({ ctx }) => ({
    needsSetup: await ctx.core.auth.needsSetup(),
    user: ctx.user && { username: ctx.user.username, role: ctx.user.role },
    /** `http-insecure`: the pages show a warning that everything crosses the network unencrypted. */
    transport: ctx.core.transport,
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

  /** Needs the current password; the user's other sessions end, this one stays. */
  changePassword: viewerProcedure
    .input(z.object({ current: password, next: password }))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.auth
        .changePassword(ctx.user, input.current, input.next, ctx.client, ctx.sessionToken ?? '')
        .catch(asTrpcError);
      return { ok: true };
    }),

  logout: viewerProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await ctx.core.auth.logout(ctx.sessionToken);
    ctx.setCookies.push(clearedSessionCookie());
    return { ok: true };
  }),
});
