import type { IncomingMessage, ServerResponse } from 'node:http';
import { initTRPC, TRPCError } from '@trpc/server';
import { hasRole, type Role } from '../../lib/roles';
import { isSameOrigin, readCookie, SESSION_COOKIE } from '../auth/cookies';
import type { SessionUser } from '../auth/service';
import type { ConsoleCore } from '../core';
import { log } from '../log';

export interface Context {
  core: ConsoleCore;
  user: SessionUser | null;
  sessionToken: string | undefined;
  sameOrigin: boolean;
  origin: string | undefined;
  client: string;
  /** Set-Cookie values to send with the response (login, setup, logout). */
  setCookies: string[];
}

export async function createContext(
  core: ConsoleCore,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Context> {
  const sessionToken = readCookie(req, SESSION_COOKIE);
  const user = await core.auth.userFor(sessionToken);
  // A live feed is authenticated once, here: remember it so revoking the session can end it.
  if (user && sessionToken && req.headers.accept?.includes('text/event-stream')) {
    core.auth.trackStream(user, sessionToken, res);
  }
  return {
    core,
    user,
    sessionToken,
    sameOrigin: isSameOrigin(req, core.allowedOrigins),
    origin: req.headers.origin,
    client: req.socket.remoteAddress ?? 'unknown',
    setCookies: [],
  };
}

const t = initTRPC.context<Context>().create();

export const router = t.router;

/** Every call checks the Origin (a cross-site page may not even read the console's answers). */
const sameOrigin = t.middleware(({ ctx, next }) => {
  if (!ctx.sameOrigin) {
    log(
      'warn',
      `api: refused a request from origin ${ctx.origin} (if that is this console, add --public-url ${ctx.origin})`,
    );
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `Request from ${ctx.origin} refused: not this console's origin. If it is, start the console with --public-url ${ctx.origin}.`,
    });
  }
  return next();
});

export const publicProcedure = t.procedure.use(sameOrigin);

/** Any logged-in user, whatever the role: reads and the live feeds, one's own password and logout. */
export const viewerProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Log in first.' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** The same as `viewerProcedure`: every procedure states its role, so new code names one of the three. */
export const protectedProcedure = viewerProcedure;

const procedureFor = (minimum: Role) =>
  viewerProcedure.use(({ ctx, next, path }) => {
    if (!hasRole(ctx.user.role, minimum)) {
      log('warn', `api: refused ${path} to ${ctx.user.username} (${ctx.user.role}; needs ${minimum})`);
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `Only an ${minimum === 'admin' ? 'admin' : 'operator or admin'} can do this; you are a ${ctx.user.role}. Ask an admin for the role.`,
      });
    }
    return next();
  });

/** Controlling machines: commands, limits, blocked projects, names. */
export const operatorProcedure = procedureFor('operator');

/** Users, pairing and removing machines, the farm account, fleet settings and updates. */
export const adminProcedure = procedureFor('admin');
