import type { FastifyInstance } from 'fastify';
import { type FarmContext, note, PATHS, queryOf, sessionIdOf } from '../context';
import { respond } from '../respond';
import { shortId } from '../sessions';

/** Logout (docs/protocol.md §2.8): ends the session; its unvalidated frames go back to the queue. */
export function registerLogoutRoute(app: FastifyInstance, context: FarmContext): void {
  app.get(PATHS.logout, async (request, reply) => {
    if (queryOf(request).mode !== 'logout') {
      return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    }
    const faults = context.faults.take('logout');
    const sessionId = sessionIdOf(request);
    const session = context.sessions.get(sessionId);
    if (session) {
      context.sessions.end(session.id, 'logged-out');
      note(request, { session: shortId(session.id) });
    }
    await respond(reply, { contentType: 'text/plain; charset=utf-8', body: 'Logged out.\n' }, faults);
  });
}
