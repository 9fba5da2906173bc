import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ErrorReportParams,
  ErrorType,
  errorType,
  isProtocolError,
  readErrorReportParams,
  renderErrorAnswer,
} from '@flock/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type FarmContext, note, PATHS, queryOf, sessionIdOf } from '../context';
import { errorReports } from '../db/schema';
import { respond, xmlAnswer } from '../respond';
import { shortId } from '../sessions';
import { discardUpload, receiveFilePart } from '../uploads';
import { forcedStatus } from './forced-status';

/** Failures that say nothing about the frame: the same machine may get it again. */
const NOT_THE_FRAMES_FAULT: ReadonlySet<number> = new Set([
  ErrorType.DOWNLOAD_FILE,
  ErrorType.NETWORK_ISSUE,
  ErrorType.RENDERER_KILLED_BY_SERVER,
  ErrorType.NO_SPACE_LEFT_ON_DEVICE,
  ErrorType.SERVER_DOWN,
  ErrorType.ERROR_BAD_SERVER_RESPONSE,
]);

/** Error logs larger than this are stored cut, with a note. */
const MAX_LOG_BYTES = 4 * 1024 * 1024;

/**
 * Error reports (docs/protocol.md §9): stored with their log, even when the parameters are broken
 * (then answered 300). A report naming a job of the session ends that job: its frame goes back to the
 * queue.
 */
export function registerErrorRoute(app: FastifyInstance, context: FarmContext): void {
  app.post(PATHS.error, async (request, reply) => {
    const faults = context.faults.take('error');
    const log = await readLog(request, context);
    const honourBlock = !faults.some((fault) => fault.kind === 'ignore-block');
    const status = forcedStatus(faults) ?? record(request, context, log, honourBlock);
    note(request, { status });
    await respond(reply, xmlAnswer(renderErrorAnswer({ status })), faults);
  });
}

async function readLog(request: FastifyRequest, context: FarmContext): Promise<string> {
  const upload = await receiveFilePart(request, {
    directory: join(context.dataDir, 'uploads'),
    maxBytes: MAX_LOG_BYTES,
  });
  if (upload.kind === 'none') return `(no log file: ${upload.reason})`;
  try {
    const text = await readFile(upload.path, 'utf8');
    return upload.tooLarge ? `${text}\n(log cut at ${MAX_LOG_BYTES} bytes by the farm)` : text;
  } finally {
    await discardUpload(upload);
  }
}

function record(request: FastifyRequest, context: FarmContext, log: string, honourBlock: boolean): number {
  const session = context.sessions.touch(sessionIdOf(request));
  let params: ErrorReportParams | undefined;
  try {
    params = readErrorReportParams(queryOf(request));
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    context.log.warn('error report with bad parameters (stored anyway)', { error: error.message });
  }
  const query = queryOf(request);
  context.db
    .insert(errorReports)
    .values({
      sessionId: session?.id ?? null,
      login: session?.login ?? null,
      jobId: toInt(params?.job?.id ?? query.job),
      frame: params?.job?.frame ?? (typeof query.frame === 'string' ? query.frame : null),
      type: params?.type ?? toInt(query.type),
      renderTimeSeconds: params?.job?.renderTimeSeconds ?? null,
      memoryUsedKiB: params?.job?.memoryUsedKiB ?? null,
      log,
      createdAt: context.clock.now(),
    })
    .run();
  note(request, {
    session: session ? shortId(session.id) : undefined,
    type: params?.type,
    job: params?.job?.id,
  });
  if (!params) return 300;
  const jobId = toInt(params.job?.id);
  const job = jobId === null ? undefined : context.projects.job(jobId);
  if (job && session && context.projects.loginOf(job) === session.login && params.type !== ErrorType.OK) {
    const reason = `error report type ${params.type} (${errorType(params.type).name})`;
    context.projects.failJob(job.id, reason, NOT_THE_FRAMES_FAULT.has(params.type) ? 'requeued' : 'failed');
    // The official client's "Block this project" kills the render and reports type 20: that report
    // is how the farm learns of the block, and the session is not given the project again.
    if (params.type === ErrorType.RENDERER_KILLED_BY_USER && honourBlock)
      context.projects.blockForSession(session.id, job.projectId);
  }
  return 0;
}

function toInt(value: unknown): number | null {
  return typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : null;
}
