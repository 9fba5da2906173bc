import {
  computeMethodName,
  isProtocolError,
  type Job,
  type JobRequestAnswer,
  type JobRequestParams,
  JobRequestStatus,
  MAX_OUTSTANDING_FRAMES,
  padFrame,
  parseCacheBody,
  readJobRequestParams,
  renderJobRequestAnswer,
  type SessionStats,
} from '@flock/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrlOf, type FarmContext, note, PATHS, queryOf, sessionIdOf } from '../context';
import { recordJobRequest } from '../db/job-requests';
import type { SessionRow } from '../db/schema';
import type { AssignedJob } from '../projects';
import { respond, xmlAnswer } from '../respond';
import { renderSettingsScript } from '../script';
import { shortId } from '../sessions';
import { forcedStatus } from './forced-status';

/**
 * The renderer archives hold a Linux `rend.exe` (a shell launcher or a Node script); Windows and macOS
 * clients get 205 (no renderer for this OS), as a farm without their Blender build would answer.
 */
const RENDERER_OS: ReadonlySet<string> = new Set(['linux', 'freebsd']);

/** Job request (docs/protocol.md §2.3): POST with query parameters and the client's `<cache>` body. */
export function registerRequestJobRoute(app: FastifyInstance, context: FarmContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: PATHS.requestJob,
    handler: async (request, reply) => {
      const faults = context.faults.take('request-job');
      const answer = answerJobRequest(request, context, forcedStatus(faults));
      note(request, { status: answer.status, job: answer.job?.id, frame: answer.job?.frame });
      await respond(reply, xmlAnswer(renderJobRequestAnswer(answer)), faults);
    },
  });
}

function answerJobRequest(
  request: FastifyRequest,
  context: FarmContext,
  forced: number | undefined,
): JobRequestAnswer {
  const session = context.sessions.touch(sessionIdOf(request));
  if (!session) return { status: JobRequestStatus.SESSION_DEAD, files: [] };
  note(request, { session: shortId(session.id) });
  const params = readParams(request, context, session);
  const answer =
    forced !== undefined
      ? { status: forced, files: [] }
      : params === undefined
        ? { status: JobRequestStatus.SERVER_ERROR, files: [] }
        : assignJob(request, context, session, params);
  if (params !== undefined) {
    recordJobRequest(context.db, {
      sessionId: session.id,
      login: session.login,
      params,
      status: answer.status,
      jobId: answer.job === undefined ? undefined : Number(answer.job.id),
      at: context.clock.now(),
    });
  }
  return answer;
}

/** The request's parameters, or undefined (logged) when they cannot be read. */
function readParams(
  request: FastifyRequest,
  context: FarmContext,
  session: SessionRow,
): JobRequestParams | undefined {
  try {
    return readJobRequestParams(queryOf(request));
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    context.log.warn('job request refused: bad parameters', {
      session: shortId(session.id),
      error: error.message,
    });
    return undefined;
  }
}

function assignJob(
  request: FastifyRequest,
  context: FarmContext,
  session: SessionRow,
  params: JobRequestParams,
): JobRequestAnswer {
  if (!RENDERER_OS.has(session.os)) return { status: JobRequestStatus.NO_RENDERER, files: [] };
  const files = retiredArchives(request, context).map((md5) => ({ md5, action: 'delete' }));
  const noJob = (): JobRequestAnswer => ({
    status: JobRequestStatus.NO_JOB,
    stats: statsFor(session, context),
    files,
  });
  if (context.projects.outstanding(session.id) >= MAX_OUTSTANDING_FRAMES) return noJob();
  const assigned = context.projects.assignNext(session.id, [...context.renderers.keys()]);
  if (!assigned) return noJob();
  const job = protocolJob(assigned, params, baseUrlOf(request), context);
  return { status: JobRequestStatus.OK, stats: statsFor(session, context), files, job };
}

/** Cached project archives the farm will not ask for again: the client may delete them. */
function retiredArchives(request: FastifyRequest, context: FarmContext): string[] {
  const body = typeof request.body === 'string' ? request.body : '';
  try {
    return context.projects.retiredArchiveMd5s(parseCacheBody(body));
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    context.log.warn('job request: unreadable <cache> body ignored', { error: error.message });
    return [];
  }
}

/** `session` is the row `touch` returned in this same synchronous handler: its credits are current. */
function statsFor(session: SessionRow, context: FarmContext): SessionStats {
  const { frameRemaining, waitingProjects } = context.projects.counts();
  return {
    creditsSession: session.creditsSession,
    creditsTotal: context.accounts.credits(session.login),
    frameRemaining,
    waitingProject: waitingProjects,
    connectedMachine: context.sessions.aliveCount(),
    renderableProject: waitingProjects,
  };
}

/** The blender command line with the client's placeholders (docs/protocol.md §4.1); the project's engine. */
export function commandLineFor(engine: string): string {
  return `.e --factory-startup --disable-autoexec -noaudio -b .c --engine ${engine} -o .o -f .f -x 1`;
}

function protocolJob(
  { job, project }: AssignedJob,
  params: JobRequestParams,
  baseUrl: string,
  context: FarmContext,
): Job {
  const renderer = context.renderers.get(project.renderer);
  if (!renderer) throw new Error(`no ${project.renderer} renderer archive for project ${project.id}`);
  const frame = padFrame(job.frame);
  const id = String(job.id);
  return {
    id,
    useGpu: computeMethodName(params.computeMethod) !== 'cpu' && params.gpu !== undefined,
    archiveMd5: project.archiveMd5,
    path: project.blendPath,
    frame,
    synchronousUpload: false,
    validationUrl: `${baseUrl}${PATHS.validation}?job=${id}&frame=${frame}`,
    name: project.renderer === 'synthetic' ? `${project.name} (synthetic)` : project.name,
    password: project.archivePassword,
    extras: '',
    renderer: {
      md5: renderer.md5,
      commandline: commandLineFor(project.engine),
      updateMethod: 'remainingtime',
    },
    script: renderSettingsScript(project),
  };
}
