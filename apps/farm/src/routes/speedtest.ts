import { isProtocolError, parseSpeedtestAnswer } from '@flock/protocol';
import type { FastifyInstance } from 'fastify';
import { type FarmContext, note, PATHS, SPEEDTEST_MIRRORS, sessionIdOf } from '../context';
import { respond } from '../respond';

/**
 * The speed test (docs/protocol.md §2.2): the farm is its own mirror. Each target serves the same
 * payload; the client downloads them and POSTs its results to `speedtest-answer`, which must answer
 * HTTP 200.
 */
const PAYLOAD = Buffer.from(Array.from({ length: 256 * 1024 }, (_, index) => (index * 2654435761) >>> 24));

export function registerSpeedtestRoutes(app: FastifyInstance, context: FarmContext): void {
  app.get<{ Params: { mirror: string } }>(PATHS.speedtestPayload, async (request, reply) => {
    if (!(SPEEDTEST_MIRRORS as readonly string[]).includes(request.params.mirror)) {
      return reply.code(404).type('text/plain; charset=utf-8').send('no such mirror\n');
    }
    const faults = context.faults.take('speedtest-payload');
    await respond(reply, { contentType: 'application/octet-stream', body: PAYLOAD }, faults);
  });

  app.post(PATHS.speedtestAnswer, async (request, reply) => {
    const faults = context.faults.take('speedtest-answer');
    const body = typeof request.body === 'string' ? request.body : '';
    try {
      const results = parseSpeedtestAnswer(body);
      const session = context.sessions.touch(sessionIdOf(request));
      if (session) context.sessions.recordSpeedtest(session.id, results);
      note(request, { results: results.length });
      await respond(reply, { contentType: 'text/plain; charset=utf-8', body: 'OK\n' }, faults);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      context.log.warn('speedtest answer refused', { error: error.message });
      await respond(
        reply,
        { status: 400, contentType: 'text/plain; charset=utf-8', body: `${error.message}\n` },
        faults,
      );
    }
  });
}
