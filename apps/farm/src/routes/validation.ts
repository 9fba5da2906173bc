import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  isProtocolError,
  padFrame,
  readValidationParams,
  renderJobValidateAnswer,
  type ValidationParams,
  ValidationStatus,
  validationStatus,
} from '@flock/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type FarmContext, note, PATHS, queryOf, sessionIdOf } from '../context';
import type { ProjectRow, SessionRow } from '../db/schema';
import { checkFrameImage } from '../image-check';
import { respond, xmlAnswer } from '../respond';
import { shortId } from '../sessions';
import { discardUpload, type ReceivedUpload, receiveFilePart } from '../uploads';
import { forcedStatus } from './forced-status';

/**
 * Frame validation (docs/protocol.md §2.6): multipart `file` to the job's validation_url plus
 * `rendertime` and `memoryused`. 300 missing parameter or unknown job, 302 not a PNG, 304 dead session,
 * 306 too large, 308 wrong size, 0 accepted (credited once; a repeated upload of a done frame is also 0).
 */
export function registerValidationRoute(app: FastifyInstance, context: FarmContext): void {
  app.post(PATHS.validation, async (request, reply) => {
    const jobParam = queryOf(request).job;
    const faults = context.faults.take('validation', {
      jobId: typeof jobParam === 'string' ? jobParam : undefined,
    });
    const upload = await receiveFilePart(request, {
      directory: join(context.dataDir, 'uploads'),
      maxBytes: context.maxUploadBytes,
    });
    try {
      const status = validate(request, context, upload, forcedStatus(faults));
      note(request, { status });
      await respond(reply, xmlAnswer(renderJobValidateAnswer({ status })), faults);
    } finally {
      await discardUpload(upload);
    }
  });
}

function validate(
  request: FastifyRequest,
  context: FarmContext,
  upload: ReceivedUpload,
  forced: number | undefined,
): number {
  const session = context.sessions.touch(sessionIdOf(request));
  if (!session) return ValidationStatus.SESSION_DISABLED;
  note(request, { session: shortId(session.id) });
  let params: ValidationParams;
  try {
    params = readValidationParams(queryOf(request));
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    context.log.warn('validation refused: bad parameters', { error: error.message });
    return ValidationStatus.MISSING_PARAMETER;
  }
  note(request, { job: params.job, frame: params.frame });
  const job = /^\d{1,15}$/.test(params.job) ? context.projects.job(Number(params.job)) : undefined;
  const owned = job !== undefined && context.projects.loginOf(job) === session.login;
  if (!job || !owned || padFrame(job.frame) !== params.frame.padStart(4, '0')) {
    context.log.warn('validation refused: no such job for this session', {
      job: params.job,
      frame: params.frame,
    });
    return ValidationStatus.MISSING_PARAMETER;
  }
  if (forced !== undefined) return settle(context, job.id, forced);
  if (upload.kind === 'none') {
    context.log.warn('validation refused: no frame file', { job: job.id, reason: upload.reason });
    return ValidationStatus.MISSING_PARAMETER;
  }
  if (upload.tooLarge) return settle(context, job.id, ValidationStatus.IMAGE_TOO_LARGE);
  const project = context.projects.get(job.projectId);
  if (!project) return ValidationStatus.MISSING_PARAMETER;
  const image = readFileSync(upload.path);
  const check = checkFrameImage(image, project);
  if (check.kind === 'not-image') {
    context.log.warn('validation refused: not an image', { job: job.id, detail: check.detail });
    return settle(context, job.id, ValidationStatus.NOT_AN_IMAGE);
  }
  if (check.kind === 'wrong-dimension') {
    context.log.warn('validation refused: wrong dimension', {
      job: job.id,
      got: `${check.width}x${check.height}`,
      expected: `${project.width}x${project.height}`,
    });
    return settle(context, job.id, ValidationStatus.WRONG_DIMENSION);
  }
  return accept(context, session, job.id, params, upload.path);
}

function accept(
  context: FarmContext,
  session: SessionRow,
  jobId: number,
  params: ValidationParams,
  uploadPath: string,
): number {
  const outcome = context.projects.complete(jobId, {
    session,
    renderTimeSeconds: params.renderTimeSeconds,
    persistImage: (project) => persistFrame(context.dataDir, project, params.frame, uploadPath),
  });
  if (outcome.kind === 'unknown-job') return ValidationStatus.MISSING_PARAMETER;
  context.log.info(
    outcome.kind === 'credited' ? 'frame validated' : 'frame was already done: not credited again',
    {
      job: jobId,
      frame: params.frame,
      login: session.login,
    },
  );
  return ValidationStatus.OK;
}

/**
 * Keeps the state in step with a refusal: on one the client gives the frame up on (the protocol's
 * code table says "final") the frame is re-queued; any other, which the client retries, is counted.
 */
function settle(context: FarmContext, jobId: number, status: number): number {
  if (validationStatus(status).reaction.kind === 'final')
    context.projects.failJob(jobId, `validation answered ${status}`);
  else if (status !== ValidationStatus.OK) context.projects.recordFailedUpload(jobId);
  return status;
}

/** Frames live at `<data>/frames/<project id>/<frame>.png`; returns the path relative to the data dir. */
function persistFrame(dataDir: string, project: ProjectRow, frame: string, uploadPath: string): string {
  const relative = join('frames', String(project.id), `${frame.padStart(4, '0')}.png`);
  mkdirSync(join(dataDir, 'frames', String(project.id)), { recursive: true });
  renameSync(uploadPath, join(dataDir, relative));
  return relative;
}
