import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type FarmContext, note, PATHS, queryOf, sessionIdOf } from '../context';
import type { FaultEndpoint } from '../faults';
import { respond } from '../respond';

/**
 * Archive downloads (docs/protocol.md §2.4): `?type=binary|job&job=ID`, the raw zip, or 404 for anything unknown.
 * Only for a live session (the cookie of a login), as on the real farm: a client that does not send
 * its session cookie with downloads gets 403 and never renders there.
 */
export function registerDownloadRoute(app: FastifyInstance, context: FarmContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: PATHS.downloadArchive,
    handler: async (request, reply) => {
      const session = context.sessions.touch(sessionIdOf(request));
      if (!session) {
        note(request, { refused: 'no live session' });
        return reply.code(403).type('text/plain; charset=utf-8').send('no live session: log in first\n');
      }
      const { type, job: jobParam } = queryOf(request);
      const archive = typeof jobParam === 'string' ? archiveFor(context, String(type), jobParam) : undefined;
      note(request, { type: String(type), job: String(jobParam) });
      if (!archive) {
        return reply.code(404).type('text/plain; charset=utf-8').send('no such archive\n');
      }
      const faults = context.faults.take(archive.endpoint, { jobId: String(jobParam) });
      const size = statSync(archive.file).size;
      await respond(reply, { contentType: 'application/zip', body: { file: archive.file, size } }, faults);
    },
  });
}

function archiveFor(
  context: FarmContext,
  type: string,
  jobParam: string,
): { file: string; endpoint: FaultEndpoint } | undefined {
  if (!/^\d{1,15}$/.test(jobParam)) return undefined;
  const job = context.projects.job(Number(jobParam));
  const project = job ? context.projects.get(job.projectId) : undefined;
  if (!project) return undefined;
  if (type === 'binary') {
    const renderer = context.renderers.get(project.renderer);
    return renderer ? { file: renderer.file, endpoint: 'download-binary' } : undefined;
  }
  if (type === 'job') {
    const file = isAbsolute(project.archiveFile)
      ? project.archiveFile
      : join(context.dataDir, project.archiveFile);
    return { file, endpoint: 'download-job' };
  }
  return undefined;
}
