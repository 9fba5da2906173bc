import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { MAX_XML_BODY_CHARS } from '@flock/protocol';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { type FarmContext, notesOf } from './context';
import { registerAdminRoutes } from './routes/admin';
import { registerConfigRoute } from './routes/config';
import { registerDownloadRoute } from './routes/download';
import { registerErrorRoute } from './routes/error-report';
import { registerKeepAliveRoute } from './routes/keepalive';
import { registerLogoutRoute } from './routes/logout';
import { registerRequestJobRoute } from './routes/request-job';
import { registerSpeedtestRoutes } from './routes/speedtest';
import { registerStatusPage } from './routes/status-page';
import { registerValidationRoute } from './routes/validation';

/**
 * The HTTP app. Fastify because its `reply.hijack()` gives the raw socket the fault injection needs
 * (truncated bodies, reset connections, throttled bytes) while routing, body parsing and multipart
 * stay declarative. One log line per request, written when the answer is done.
 */
export async function buildServer(context: FarmContext): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: MAX_XML_BODY_CHARS });
  await app.register(formbody);
  await app.register(multipart, { throwFileSizeLimit: false });
  // The `<cache>` and `<speedtest>` XML bodies (application/xml, or anything else a client sends).
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  // On the raw 'close' event, not onResponse: connections the fault injection cuts are logged too.
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      const path = request.url.split('?')[0] ?? request.url;
      context.log.info(`${request.method} ${path}`, {
        http: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ...(reply.raw.writableFinished ? {} : { cut: 'connection closed before the answer was complete' }),
        ...notesOf(request),
      });
    });
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    const fields = { url: request.url, error: error.message };
    if (statusCode >= 500) context.log.error('request failed', fields);
    else context.log.warn('request refused', fields);
    return reply.code(statusCode).type('text/plain; charset=utf-8').send(`${statusCode} ${error.message}\n`);
  });

  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).type('text/plain; charset=utf-8').send('404 not found\n'),
  );

  registerConfigRoute(app, context);
  registerSpeedtestRoutes(app, context);
  registerRequestJobRoute(app, context);
  registerDownloadRoute(app, context);
  registerKeepAliveRoute(app, context);
  registerValidationRoute(app, context);
  registerErrorRoute(app, context);
  registerLogoutRoute(app, context);
  registerStatusPage(app, context);
  registerAdminRoutes(app, context);
  return app;
}
