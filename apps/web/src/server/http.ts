import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { LINK_PATH, PAIR_PATH, PairRequestSchema } from '@flock/protocol';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { appRouter } from './api/router';
import { createContext } from './api/trpc';
import { isSameOrigin, readCookie, SESSION_COOKIE } from './auth/cookies';
import type { ConsoleCore } from './core';
import { answerAndClose, BodyTooLarge, json, readBody, refuseTooLarge } from './http-io';
import { serveInstallRoute } from './install/routes';
import { createLinkUpgrade } from './link/upgrade';
import { log } from './log';
import { PairingRefused } from './pairing';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface ConsoleHttpOptions {
  /** Next's request handler; without it (API-only tests) pages answer 404. */
  pages?: RequestListener;
  /** Next's own upgrade listener (dev HMR), captured with the httpServer stand-in. */
  pagesUpgrade?: () => UpgradeListener | undefined;
  /** PEM certificate and key: the server speaks HTTPS (and WSS for the link). */
  tls?: { cert: string; key: string };
}

const TRPC_PREFIX = '/api/trpc/';
/** Pages anyone may load: the login and first-start screens and their static assets. */
const PUBLIC_PAGES = /^\/(login|setup)(\/|$)|^\/_next\/|^\/favicon\.ico$|^\/icon\.(png|svg)$/;

/** A pairing request is a code and a host name: a few hundred bytes. */
const PAIR_BODY_LIMIT = 4096;
/** tRPC bodies before login (login, setup): a user name and a password. */
const TRPC_BODY_LIMIT_ANONYMOUS = 16 * 1024;
/** tRPC bodies with a session: the largest is a command to 10,000 machines by id. */
const TRPC_BODY_LIMIT = 1024 * 1024;

async function handlePair(core: ConsoleCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isSameOrigin(req, core.allowedOrigins))
    return json(res, 403, { error: 'cross-origin request refused' });
  let parsed: ReturnType<typeof PairRequestSchema.safeParse>;
  try {
    parsed = PairRequestSchema.safeParse(JSON.parse((await readBody(req, PAIR_BODY_LIMIT)).toString('utf8')));
  } catch (error) {
    if (error instanceof BodyTooLarge) return refuseTooLarge(req, res, error);
    return json(res, 400, { error: 'expected a JSON body' });
  }
  if (!parsed.success) return json(res, 400, { error: 'expected { code, hostname }' });
  try {
    json(res, 200, await core.pairing.redeem(parsed.data, req.socket.remoteAddress ?? 'unknown'));
  } catch (error) {
    if (error instanceof PairingRefused) return json(res, error.status, { error: error.message });
    throw error;
  }
}

/** Without a session only login and setup can be called: their bodies are small. */
async function trpcBodyLimit(core: ConsoleCore, req: IncomingMessage): Promise<number> {
  const user = await core.auth.userFor(readCookie(req, SESSION_COOKIE));
  return user ? TRPC_BODY_LIMIT : TRPC_BODY_LIMIT_ANONYMOUS;
}

/**
 * Reads a tRPC request's body under the cap and hands it to tRPC as `req.body` (which tRPC's node
 * adapter takes as the already-read body). False when the request was answered (413) instead.
 */
async function readTrpcBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<boolean> {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  try {
    (req as IncomingMessage & { body?: string }).body = (await readBody(req, limit)).toString('utf8');
    return true;
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    refuseTooLarge(req, res, error);
    return false;
  }
}

/** Pages need a session; without one the browser goes to the login (or first-start) screen. */
async function gatePage(
  core: ConsoleCore,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const redirect = (location: string) => {
    res.writeHead(303, { location, 'cache-control': 'no-store' });
    res.end();
    return false;
  };
  if (path === '/login' && (await core.auth.needsSetup())) return redirect('/setup');
  if (path === '/setup' && !(await core.auth.needsSetup())) return redirect('/login');
  if (PUBLIC_PAGES.test(path)) return true;
  if (await core.auth.userFor(readCookie(req, SESSION_COOKIE))) return true;
  return redirect((await core.auth.needsSetup()) ? '/setup' : `/login?next=${encodeURIComponent(path)}`);
}

/** The console's one HTTP server: tRPC, pairing, the agent link, and the pages behind a session. */
export function createConsoleHttpServer(core: ConsoleCore, options: ConsoleHttpOptions = {}): Server {
  const handler: RequestListener = async (req, res) => {
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'same-origin');
    const path = new URL(req.url ?? '/', 'http://console').pathname;
    try {
      if (path.startsWith(TRPC_PREFIX)) {
        const limit = await trpcBodyLimit(core, req);
        if (!(await readTrpcBody(req, res, limit))) return;
        return await nodeHTTPRequestHandler({
          req,
          res,
          path: path.slice(TRPC_PREFIX.length),
          router: appRouter,
          maxBodySize: limit,
          createContext: ({ req: request, res: response }) => createContext(core, request, response),
          responseMeta: ({ ctx }) => ({
            headers: new Headers([
              ['cache-control', 'no-store'],
              ...(ctx?.setCookies ?? []).map((c): [string, string] => ['set-cookie', c]),
            ]),
          }),
          onError: ({ error, path: procedure }) => {
            if (error.code === 'INTERNAL_SERVER_ERROR') log('error', `trpc ${procedure}: ${error.message}`);
          },
        });
      }
      if (path === PAIR_PATH && req.method === 'POST') return await handlePair(core, req, res);
      // Nothing below takes a request body: the health check, and pages without server actions or
      // route handlers.
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return answerAndClose(req, res, 405, `${req.method} is not allowed here`);
      if (path === '/healthz') return json(res, 200, { ok: true });
      // Public: a new machine downloads the agent before it has any credentials.
      if (serveInstallRoute(core, req, res, path)) return;
      if (!(await gatePage(core, req, res, path))) return;
      if (options.pages) return options.pages(req, res);
      json(res, 404, { error: 'not found' });
    } catch (error) {
      log('error', `http ${req.method} ${path}: ${(error as Error).message}`);
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    }
  };
  // An https.Server is an http.Server with TLS underneath: same requests, upgrades and close.
  const server = options.tls
    ? (createHttpsServer(options.tls, handler) as unknown as Server)
    : createServer(handler);
  const linkUpgrade = createLinkUpgrade(core.repo, core.hub, core.allowedOrigins, core.transport);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://console').pathname;
    if (path === LINK_PATH) return void linkUpgrade(req, socket, head);
    const pagesUpgrade = options.pagesUpgrade?.();
    if (pagesUpgrade) return pagesUpgrade(req, socket, head);
    socket.destroy();
  });
  return server;
}
