import {
  type ConfigAnswer,
  type ConfigParams,
  ConfigStatus,
  isProtocolError,
  readConfigParams,
  renderConfigAnswer,
} from '@flock/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { compareClientVersions } from '../client-version';
import {
  baseUrlOf,
  type FarmContext,
  note,
  PATHS,
  queryOf,
  SPEEDTEST_MIRRORS,
  sessionCookie,
} from '../context';
import { respond, xmlAnswer } from '../respond';
import { shortId } from '../sessions';
import { forcedStatus } from './forced-status';

/**
 * Session creation (docs/protocol.md §2.1): POST form (the official client) or GET query (older
 * clients); `publickey` always present.
 */
export function registerConfigRoute(app: FastifyInstance, context: FarmContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: PATHS.config,
    handler: async (request, reply) => {
      const faults = context.faults.take('config');
      const forced = forcedStatus(faults);
      const answer = forced === undefined ? login(request, context) : failure(forced);
      if (answer.sessionId !== undefined) reply.header('set-cookie', sessionCookie(answer.sessionId));
      note(request, { status: answer.config.status });
      await respond(reply, xmlAnswer(renderConfigAnswer(answer.config)), faults);
    },
  });
}

interface LoginResult {
  config: ConfigAnswer;
  sessionId?: string;
}

function failure(status: number): LoginResult {
  return { config: { status, requests: [], speedtestTargets: [] } };
}

function login(request: FastifyRequest, context: FarmContext): LoginResult {
  const fields = { ...queryOf(request), ...formOf(request) };
  let params: ConfigParams;
  try {
    params = readConfigParams(fields);
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    context.log.warn('login refused: bad parameters', { error: error.message });
    const missingVersion = error.kind === 'missing-parameter' && error.detail === 'version';
    return failure(missingVersion ? ConfigStatus.NO_VERSION : ConfigStatus.MISSING_PARAMETER);
  }
  const { minClientVersion } = context;
  if (minClientVersion !== undefined && compareClientVersions(params.version, minClientVersion) < 0) {
    context.log.warn('login refused: client too old', { version: params.version, minimum: minClientVersion });
    return failure(ConfigStatus.CLIENT_TOO_OLD);
  }
  const account = context.accounts.authenticate(params.login, params.password);
  if (!account) {
    context.log.warn('login refused: wrong login or password', { login: params.login });
    return failure(ConfigStatus.AUTHENTICATION_FAILED);
  }
  const session = context.sessions.create(account.login, params);
  note(request, { session: shortId(session.id), login: account.login, host: params.hostname });
  return { config: successAnswer(baseUrlOf(request), account.publicKey, context), sessionId: session.id };
}

function successAnswer(baseUrl: string, publicKey: string, context: FarmContext): ConfigAnswer {
  const maxPeriod = Math.round(context.sessions.maxPeriodMs / 1000);
  return {
    status: ConfigStatus.OK,
    publicKey,
    requests: [
      { type: 'request-job', path: PATHS.requestJob },
      { type: 'download-archive', path: PATHS.downloadArchive },
      { type: 'error', path: PATHS.error },
      { type: 'keepmealive', path: PATHS.keepAlive, maxPeriod },
      { type: 'logout', path: `${PATHS.logout}${PATHS.logoutQuery}` },
      { type: 'speedtest-answer', path: PATHS.speedtestAnswer },
    ],
    speedtestTargets: SPEEDTEST_MIRRORS.map((mirror) => `${baseUrl}/speedtest/${mirror}`),
  };
}

function formOf(request: FastifyRequest): Record<string, string | string[] | undefined> {
  const body = request.body;
  return body !== null && typeof body === 'object' ? (body as Record<string, string>) : {};
}
