import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type AccountCredentials, Accounts, DEFAULT_ACCOUNTS } from './accounts';
import { type AddProjectOptions, addProject, type ProjectInfo, projectInfo } from './add-project';
import { resolveAdminToken } from './admin-token';
import { type FarmClock, systemClock } from './clock';
import type { FarmContext } from './context';
import { openFarmDb } from './db/client';
import { listJobRequests } from './db/job-requests';
import {
  type ErrorReportRow,
  errorReports,
  type FrameRow,
  type JobRequestRow,
  type JobRow,
  jobs,
  type SessionRow,
  sessionBlocks,
} from './db/schema';
import { createDemoProjectIfEmpty, type RendererChoice } from './demo';
import { FaultController, type FaultSpec } from './faults';
import { createLogger, type FarmLogger, type LogLevel } from './log';
import { ProjectStore } from './projects';
import { buildRendererArchives, findBlender, type RendererArchive } from './renderer/index';
import { buildServer } from './server';
import { Sessions } from './sessions';

export interface StartFarmOptions {
  /** Where the farm keeps its SQLite database, archives and rendered frames (created if missing). */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1; use 0.0.0.0 to serve other machines. */
  host?: string;
  /** Blender executable; undefined = $BLENDER_PATH or `blender` on PATH; null = no Blender. */
  blender?: string | null;
  /** 'synthetic' never uses Blender; 'blender' requires it; 'auto' (default) uses it when found. */
  renderer?: RendererChoice;
  /** Longest silence a session survives (keepmealive max-period), default 1440 s. */
  maxPeriodSeconds?: number;
  /** Default: one account demo/demo. */
  accounts?: AccountCredentials[];
  /** Create the demo project when the farm has no project yet (default false; the CLI turns it on). */
  demoProject?: boolean;
  /** Default 'info'. */
  logLevel?: LogLevel;
  /** Where log lines go (default stdout). */
  logSink?: (line: string) => void;
  /** The farm's time source for session expiry and fault windows (default: system time). */
  clock?: FarmClock;
  /** Largest accepted frame upload (default 256 MiB); bigger uploads get 306. */
  maxUploadBytes?: number;
  /** Faults armed from the start (like the CLI's --fault). */
  faults?: FaultSpec[];
  /** The admin API's bearer token; default: the one in `<dataDir>/admin-token`, made at first start. */
  adminToken?: string;
  /** Logins with an older client `version` are refused with 101 (client too old); default: any. */
  minClientVersion?: string;
}

export interface SessionInfo extends Omit<SessionRow, 'speedtest'> {
  speedtest: { target: string; speed: number; ping: number }[] | null;
  /** Jobs handed out and not validated yet. */
  outstandingJobs: number;
}

export interface RunningFarm {
  /** Base URL clients use as their server, e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  faults: FaultController;
  clock: FarmClock;
  /** The Blender this farm uses for .blend projects, if any. */
  blender: string | undefined;
  /** The admin API's bearer token (`Authorization: Bearer <token>`). */
  adminToken: string;
  /** The file the token was read from or created in; null when it was given in the options. */
  adminTokenFile: string | null;
  renderers: RendererArchive[];
  addProject(options: AddProjectOptions): Promise<ProjectInfo>;
  cancelProject(projectId: number): void;
  projects(): ProjectInfo[];
  frames(projectId: number): FrameRow[];
  jobs(): JobRow[];
  /** Every job request (latest 10,000): the parameters the client sent, the answer status and job. */
  jobRequests(): JobRequestRow[];
  sessions(): SessionInfo[];
  credits(login: string): number;
  errorReports(): ErrorReportRow[];
  /** The projects each live session blocked ("Block this project"); a session's go when it ends. */
  sessionBlocks(): { sessionId: string; projectId: number }[];
  /** Ends the sessions silent for longer than max-period now (requests do it too once one may have, and a timer every 5 s). */
  expireSessions(): number;
  close(): Promise<void>;
}

const REAP_INTERVAL_MS = 5_000;

export async function startFarm(options: StartFarmOptions): Promise<RunningFarm> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const admin = await resolveAdminToken(dataDir, options.adminToken);
  const clock = options.clock ?? systemClock;
  const log = createLogger({
    level: options.logLevel ?? 'info',
    sink: options.logSink,
    now: () => clock.now(),
  });
  const blender = chooseBlender(options);
  const db = openFarmDb(join(dataDir, 'farm.sqlite'));
  const projects = new ProjectStore(db, clock, log);
  const sessions = new Sessions(db, clock, log, {
    maxPeriodMs: (options.maxPeriodSeconds ?? 1440) * 1000,
    onEnded: (sessionId, reason) => projects.releaseSession(sessionId, `session ${reason}`),
  });
  const accounts = new Accounts(db);
  accounts.ensure(options.accounts ?? DEFAULT_ACCOUNTS);
  const faults = new FaultController(clock, log);
  for (const fault of options.faults ?? []) faults.add(fault);
  const renderers = await buildRendererArchives(join(dataDir, 'renderers'), blender);
  const context: FarmContext = {
    dataDir,
    db,
    clock,
    log,
    accounts,
    sessions,
    projects,
    faults,
    renderers,
    maxUploadBytes: options.maxUploadBytes ?? 256 * 1024 * 1024,
    blender,
    adminToken: admin.token,
    minClientVersion: options.minClientVersion,
  };
  logRenderers(log, renderers, blender);
  if (options.demoProject) await createDemoProjectIfEmpty(context, options.renderer ?? 'auto');
  const app = await buildServer(context);
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const reaper = setInterval(() => sessions.reapExpired(), REAP_INTERVAL_MS);
  reaper.unref();
  const url = farmUrl(app.server.address(), options.host ?? '127.0.0.1');
  return {
    url,
    dataDir,
    faults,
    clock,
    blender,
    adminToken: admin.token,
    adminTokenFile: admin.file,
    renderers: [...renderers.values()],
    addProject: (project) => addProject(context, project),
    cancelProject: (projectId) => projects.cancel(projectId),
    projects: () => projects.list().map(projectInfo),
    frames: (projectId) => projects.frames(projectId),
    jobs: () => db.select().from(jobs).orderBy(jobs.id).all(),
    jobRequests: () => listJobRequests(db),
    sessions: () => sessions.list().map((session) => sessionInfo(session, projects)),
    credits: (login) => accounts.credits(login),
    errorReports: () => db.select().from(errorReports).orderBy(errorReports.id).all(),
    sessionBlocks: () =>
      db
        .select({ sessionId: sessionBlocks.sessionId, projectId: sessionBlocks.projectId })
        .from(sessionBlocks)
        .orderBy(sessionBlocks.createdAt)
        .all(),
    expireSessions: () => sessions.reapExpired(),
    close: async () => {
      clearInterval(reaper);
      await app.close();
      db.$client.close();
    },
  };
}

function chooseBlender(options: StartFarmOptions): string | undefined {
  if (options.renderer === 'synthetic' || options.blender === null) return undefined;
  const blender = findBlender(options.blender);
  if (options.renderer === 'blender' && blender === undefined) {
    throw new Error(
      'renderer "blender" asked for, but no Blender found (--blender PATH, $BLENDER_PATH or PATH)',
    );
  }
  return blender;
}

function logRenderers(
  log: FarmLogger,
  renderers: Map<string, RendererArchive>,
  blender: string | undefined,
): void {
  for (const renderer of renderers.values()) {
    log.info(`renderer archive ready: ${renderer.label}`, { md5: renderer.md5 });
  }
  if (blender === undefined) {
    log.warn(
      'no Blender: only synthetic projects can be rendered (frames are made by the synthetic renderer)',
    );
  }
}

function farmUrl(address: ReturnType<import('node:net').Server['address']>, host: string): string {
  if (address === null || typeof address === 'string')
    throw new Error(`unexpected server address ${address}`);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`;
}

function sessionInfo(session: SessionRow, projects: ProjectStore): SessionInfo {
  return {
    ...session,
    speedtest: session.speedtest === null ? null : JSON.parse(session.speedtest),
    outstandingJobs: projects.outstanding(session.id),
  };
}
