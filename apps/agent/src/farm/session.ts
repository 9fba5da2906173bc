// The farm session: login (config) with every parameter of docs/protocol.md §2.1, the speed test,
// re-login, logout. The render key the farm returns replaces the password for re-logins, as in the
// official client.
import {
  buildConfigRequest,
  buildLogout,
  buildSpeedtestAnswer,
  type ConfigParams,
  ConfigStatus,
  configStatus,
  type Endpoints,
  endpointsFromConfig,
  isProtocolError,
  parseConfigAnswer,
} from '@flock/protocol';
import type { Logger } from '../log/index.js';
import type { FarmCredentials } from './account.js';
import { type FarmHttp, FarmHttpError } from './http.js';
import { runSpeedtest } from './speedtest.js';

export type LoginErrorKind =
  /** The farm answered with a config status other than 0 (100–104 or unknown). */
  | 'refused'
  /** There is no account to log in with (none of the agent's own, none from the console). */
  | 'no-account'
  /** Network failure, HTTP error or an answer that is not a config XML. */
  | 'unreachable'
  | 'bad-answer'
  /** The user stopped the agent while it was logging in. */
  | 'stopped';

export class LoginError extends Error {
  override readonly name = 'LoginError';

  constructor(
    readonly kind: LoginErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SessionOptions {
  http: FarmHttp;
  log: Logger;
  /** The farm to log in to (read at each login: the console may change it). */
  serverUrl: () => string;
  /** Every config parameter but the account's. */
  params: Omit<ConfigParams, 'login' | 'password'>;
  /** The account to log in with now (the same object until it changes); null: none yet. */
  account: () => FarmCredentials | null;
  /** The client version to send at each login (it may change between logins); default `params.version`. */
  clientVersion?: () => string;
  /** The hostname to send at each login (the console may rename the machine); default `params.hostname`. */
  hostname?: () => string;
  /** Skip the speed test (tests of other parts; the farm then gets no speedtest-answer). */
  skipSpeedtest?: boolean;
}

export class FarmSession {
  private current: Endpoints | undefined;
  /** The account of the last login, and the password that goes with it (the render key once known). */
  private account: FarmCredentials | null = null;
  private password = '';
  private server: string | null = null;

  constructor(private readonly options: SessionOptions) {}

  get endpoints(): Endpoints | undefined {
    return this.current;
  }

  /**
   * Logs in; throws LoginError. On success the endpoints are known and the speed test is done.
   * `signal` (the user stopping the agent) ends the login and the speed test at once: kind 'stopped'.
   */
  async login(signal?: AbortSignal): Promise<Endpoints> {
    const { http, log, params } = this.options;
    const serverUrl = this.options.serverUrl();
    const account = this.options.account();
    if (!account) throw new LoginError('no-account', 'no farm account to log in with');
    if (account !== this.account) {
      // Another account: its own password, not the render key the farm gave the previous one.
      this.account = account;
      this.password = account.password;
      log.addSecret(account.password);
    }
    const version = this.options.clientVersion?.() ?? params.version;
    log.info('logging in', { server: serverUrl, login: account.login, version });
    const hostname = this.options.hostname?.() ?? params.hostname;
    const spec = buildConfigRequest(serverUrl, {
      ...params,
      login: account.login,
      version,
      hostname,
      password: this.password,
    });
    const answer = await http
      .sendXml(spec, (body, type) => parseConfigAnswer(body, type), signal ? { signal } : {})
      .catch((error) => {
        throw loginFailure(error, signal);
      });
    if (answer.status !== 0) {
      const info = configStatus(answer.status);
      const explanation =
        answer.status === ConfigStatus.CLIENT_TOO_OLD ? tooOldExplanation(version) : info.explanation;
      throw new LoginError(
        'refused',
        `login refused: ${answer.status} ${info.name}: ${explanation}`,
        answer.status,
      );
    }
    let endpoints: Endpoints;
    try {
      endpoints = endpointsFromConfig(serverUrl, answer);
    } catch (error) {
      throw loginFailure(error, signal);
    }
    if (answer.publicKey) {
      log.addSecret(answer.publicKey);
      this.password = answer.publicKey;
    }
    this.current = endpoints;
    this.server = serverUrl;
    log.info('logged in', { maxPeriodSeconds: endpoints.maxPeriodSeconds });
    if (!this.options.skipSpeedtest) await this.speedtest(answer.speedtestTargets, endpoints, signal);
    return endpoints;
  }

  /** The speed test (docs/protocol.md §2.2): measure the mirrors and report the three fastest; a refused answer fails the login. */
  private async speedtest(
    targets: readonly string[],
    endpoints: Endpoints,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (targets.length === 0 || endpoints.speedtestAnswer === undefined) return;
    const { http, log } = this.options;
    const results = await runSpeedtest(targets, {
      dispatcher: http.dispatcher,
      ...(signal ? { signal } : {}),
    });
    if (signal?.aborted) throw loginFailure(signal.reason, signal);
    log.info('speed test done', {
      results: results
        .map((r) => `${new URL(r.target).host} ${Math.round(r.speed / 1024)} KiB/s ${r.ping} ms`)
        .join(', '),
    });
    const answer = await http
      .send(buildSpeedtestAnswer(endpoints, results), signal ? { signal } : {})
      .catch((error) => {
        throw loginFailure(error, signal);
      });
    if (answer.status !== 200) {
      throw new LoginError('bad-answer', `the farm refused the speed test answer (HTTP ${answer.status})`);
    }
  }

  /** The farm of the last login. */
  get loggedInTo(): string | null {
    return this.server;
  }

  /** The login of the account last logged in with. */
  get loggedInAs(): string | null {
    return this.account?.login ?? null;
  }

  /** Logout (docs/protocol.md §2.8): the answer is ignored; failures are only logged. */
  async logout(): Promise<void> {
    const endpoints = this.current;
    if (!endpoints) return;
    this.current = undefined;
    try {
      await this.options.http.send(buildLogout(endpoints), { signal: AbortSignal.timeout(10_000) });
      this.options.log.info('logged out');
    } catch (error) {
      this.options.log.warn('logout failed', { error: (error as Error).message });
    }
  }
}

/** 101: what to do, since the agent's own version means nothing to the farm. */
function tooOldExplanation(version: string): string {
  return (
    `the farm refuses client version ${version} as too old. Start the agent with --client-version set to ` +
    "the official SheepIt client's current version (shown on the SheepIt website's download page, and " +
    'printed by the official client when it starts)'
  );
}

function loginFailure(error: unknown, signal: AbortSignal | undefined): LoginError {
  if (error instanceof LoginError) return error;
  if (signal?.aborted)
    return new LoginError('stopped', 'login interrupted: stopping', undefined, { cause: error });
  if (error instanceof FarmHttpError) {
    return new LoginError('unreachable', `cannot reach the farm: ${error.message}`, undefined, {
      cause: error,
    });
  }
  if (isProtocolError(error)) {
    return new LoginError('bad-answer', `bad login answer from the farm: ${error.message}`, undefined, {
      cause: error,
    });
  }
  return new LoginError('bad-answer', `login failed: ${(error as Error).message}`, undefined, {
    cause: error,
  });
}
