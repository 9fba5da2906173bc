import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { addProject, addProjectSchema, projectInfo } from '../add-project';
import { ADMIN_TOKEN_FILE, bearerMatches } from '../admin-token';
import type { FarmContext } from '../context';
import { parseFaultSpec } from '../faults';
import { receiveFilePart } from '../uploads';

/** Over HTTP a project's archive is always the farm's own: `archive` (any file by path) is dropped. */
const adminProjectSchema = addProjectSchema.omit({ archive: true });

/**
 * The admin API (JSON, `Authorization: Bearer <admin token>`): add and cancel projects, arm and remove
 * faults, read the farm's state. Farm accounts (the clients' logins, `demo` included) do not open it.
 */
export function registerAdminRoutes(app: FastifyInstance, context: FarmContext): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request, reply) => {
      if (!bearerMatches(request.headers.authorization, context.adminToken)) {
        context.log.warn('admin API: refused a request without the admin token', { ip: request.ip });
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="flock-farm admin"')
          .send({
            error: `admin API: send Authorization: Bearer <token> (the token is in <data>/${ADMIN_TOKEN_FILE}, or the one given with --admin-token)`,
          });
      }
    });

    admin.get('/admin/state', async () => adminState(context));

    // JSON (`blendFile` is a path on the farm machine), or multipart: a `blend` file part plus an
    // `options` field holding the same JSON without `blendFile`.
    admin.post('/admin/projects', async (request, reply) => {
      const upload = request.isMultipart() ? await receiveBlend(request, context) : undefined;
      try {
        if (upload?.kind === 'none') return badRequest(reply, upload.reason);
        const body = upload ? { ...parseJson(upload.fields.options), blendFile: upload.path } : request.body;
        const options = adminProjectSchema.safeParse(body);
        if (!options.success) return badRequest(reply, z.prettifyError(options.error));
        const project = await addProject(context, options.data);
        return reply.code(201).send(project);
      } catch (error) {
        return badRequest(reply, (error as Error).message);
      } finally {
        if (upload?.kind === 'file') await rm(dirname(upload.path), { recursive: true, force: true });
      }
    });

    admin.post<{ Params: { id: string } }>('/admin/projects/:id/cancel', async (request, reply) => {
      const project = /^\d{1,9}$/.test(request.params.id)
        ? context.projects.get(Number(request.params.id))
        : undefined;
      if (!project) return reply.code(404).send({ error: 'no such project' });
      context.projects.cancel(project.id);
      context.log.info('project cancelled', { project: project.id });
      return projectInfo({ ...project, state: 'cancelled' });
    });

    admin.get('/admin/faults', async () => context.faults.list());

    admin.post('/admin/faults', async (request, reply) => {
      try {
        return reply.code(201).send({ id: context.faults.add(parseFaultSpec(request.body)) });
      } catch (error) {
        return badRequest(reply, (error as Error).message);
      }
    });

    admin.delete('/admin/faults', async () => {
      context.faults.clear();
      return { cleared: true };
    });

    admin.delete<{ Params: { id: string } }>('/admin/faults/:id', async (request, reply) => {
      const removed = context.faults.remove(Number(request.params.id));
      return removed ? { removed: true } : reply.code(404).send({ error: 'no such fault' });
    });
  });
}

/** Largest .blend the admin API takes by upload. */
const MAX_BLEND_BYTES = 4 * 1024 * 1024 * 1024;

type BlendUpload =
  | { kind: 'file'; path: string; fields: Record<string, string> }
  | { kind: 'none'; reason: string };

/** The uploaded .blend, saved under its own (sanitised) name: that name is the path inside the archive. */
async function receiveBlend(request: FastifyRequest, context: FarmContext): Promise<BlendUpload> {
  const directory = join(context.dataDir, 'uploads', `blend-${randomBytes(6).toString('hex')}`);
  const upload = await receiveFilePart(request, { directory, maxBytes: MAX_BLEND_BYTES, field: 'blend' });
  if (upload.kind === 'none' || upload.tooLarge) {
    await rm(directory, { recursive: true, force: true });
    return {
      kind: 'none',
      reason: upload.kind === 'none' ? upload.reason : 'the .blend is larger than 4 GiB',
    };
  }
  const name =
    basename(upload.filename)
      .replace(/[^\w.-]/g, '_')
      .replace(/^\.+/, '') || 'scene';
  const path = join(directory, name.endsWith('.blend') ? name : `${name}.blend`);
  await rename(upload.path, path);
  return { kind: 'file', path, fields: upload.fields };
}

function parseJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the "options" field is not JSON');
  }
  if (value === null || typeof value !== 'object')
    throw new Error('the "options" field is not a JSON object');
  return value as Record<string, unknown>;
}

function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).send({ error: message });
}

/** Projects with their progress, sessions and armed faults: what a console shows. */
export function adminState(context: FarmContext) {
  const projects = context.projects.list().map((row) => {
    const frames = context.projects.frames(row.id);
    const count = (state: string) => frames.filter((frame) => frame.state === state).length;
    return {
      ...projectInfo(row),
      framesDone: count('done'),
      framesRendering: count('rendering'),
      framesWaiting: count('waiting'),
    };
  });
  const sessions = context.sessions.list().map(({ id, ...session }) => ({ ...session, id: id.slice(0, 8) }));
  return { projects, sessions, faults: context.faults.list(), renderers: [...context.renderers.values()] };
}
