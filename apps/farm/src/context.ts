import type { FastifyRequest } from 'fastify';
import type { Accounts } from './accounts';
import type { FarmClock } from './clock';
import type { FarmDb } from './db/client';
import type { RendererKind } from './db/schema';
import type { FaultController } from './faults';
import type { FarmLogger, LogFields } from './log';
import type { ProjectStore } from './projects';
import type { RendererArchive } from './renderer/index';
import { SESSION_COOKIE, type Sessions } from './sessions';

/** Everything a route needs, built once by startFarm. */
export interface FarmContext {
  dataDir: string;
  db: FarmDb;
  clock: FarmClock;
  log: FarmLogger;
  accounts: Accounts;
  sessions: Sessions;
  projects: ProjectStore;
  faults: FaultController;
  renderers: Map<RendererKind, RendererArchive>;
  /** Largest frame upload accepted; bigger ones get 306. */
  maxUploadBytes: number;
  /** The Blender this farm found (for .blend projects), if any. */
  blender: string | undefined;
  /** The admin API's bearer token. */
  adminToken: string;
  /** Logins with an older client version get 101; undefined = any version. */
  minClientVersion: string | undefined;
}

/** The endpoint paths announced in the config answer (the PHP farm's names). */
export const PATHS = {
  config: '/server/config.php',
  requestJob: '/server/request_job.php',
  downloadArchive: '/server/archive.php',
  error: '/server/error.php',
  keepAlive: '/server/keepmealive.php',
  logout: '/account.php',
  logoutQuery: '?mode=logout&worker=1',
  speedtestAnswer: '/server/speedtest.php',
  speedtestPayload: '/speedtest/:mirror',
  validation: '/server/send_frame.php',
} as const;

export const SPEEDTEST_MIRRORS = ['mirror-a.bin', 'mirror-b.bin', 'mirror-c.bin'] as const;

/** The farm's own base URL as the client reached it: validation and speed-test URLs are built on it. */
export function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function sessionIdOf(request: FastifyRequest): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

export function sessionCookie(sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Lax`;
}

const notes = new WeakMap<FastifyRequest, LogFields>();

/** Adds facts to the one log line written when the request ends. */
export function note(request: FastifyRequest, fields: LogFields): void {
  notes.set(request, { ...notes.get(request), ...fields });
}

export function notesOf(request: FastifyRequest): LogFields | undefined {
  return notes.get(request);
}

/** Query parameters as the protocol readers take them. */
export function queryOf(request: FastifyRequest): Record<string, string | string[] | undefined> {
  return (request.query ?? {}) as Record<string, string | string[] | undefined>;
}
