import {
  isProtocolError,
  type KeepAliveParams,
  KeepAliveStatus,
  readKeepAliveParams,
  renderKeepAliveAnswer,
} from '@flock/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type FarmContext, note, PATHS, queryOf, sessionIdOf } from '../context';
import { respond, xmlAnswer } from '../respond';
import { shortId } from '../sessions';
import { forcedStatus } from './forced-status';

/**
 * Heartbeat (docs/protocol.md §2.5, §6): keeps the session alive; answers 400 when the named job must
 * stop (cancelled, re-queued because the session died, done by someone else, or a `status` fault for
 * that job).
 */
export function registerKeepAliveRoute(app: FastifyInstance, context: FarmContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: PATHS.keepAlive,
    handler: async (request, reply) => {
      const jobId = queryOf(request).job;
      const faults = context.faults.take('keepmealive', {
        jobId: typeof jobId === 'string' ? jobId : undefined,
      });
      const status = forcedStatus(faults) ?? heartbeat(request, context);
      note(request, { status, job: typeof jobId === 'string' ? jobId : undefined });
      await respond(reply, xmlAnswer(renderKeepAliveAnswer({ status })), faults);
    },
  });
}

function heartbeat(request: FastifyRequest, context: FarmContext): number {
  const session = context.sessions.touch(sessionIdOf(request));
  if (session) note(request, { session: shortId(session.id) });
  let params: KeepAliveParams;
  try {
    params = readKeepAliveParams(queryOf(request));
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    context.log.warn('heartbeat with bad parameters', { error: error.message });
    return KeepAliveStatus.OK;
  }
  if (session) context.sessions.setPaused(session.id, params.paused);
  if (!params.job) return KeepAliveStatus.OK;
  const job = /^\d{1,15}$/.test(params.job.id) ? context.projects.job(Number(params.job.id)) : undefined;
  const mayGoOn = session && job && job.sessionId === session.id && context.projects.isJobLive(job.id);
  return mayGoOn ? KeepAliveStatus.OK : KeepAliveStatus.STOP_JOB;
}
