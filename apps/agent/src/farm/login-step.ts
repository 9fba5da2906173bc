// Logging in, at start and again (202, a dead session, another account): an unreachable farm is waited
// out with the growing back-off; a refused login stops the agent with what to do, except "client too
// old" (101) on a machine linked to a console, which waits for the console to set the client version,
// and a refused account from the console, which waits for the console to correct it. Without any
// account the agent waits for one; a paired agent that knows no farm server (none of its own, none
// kept from its console) waits a while for its console's before a first login to the public farm.
import { ConfigStatus } from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Controls } from '../controls/index.js';
import { formatLocalTime, type Logger } from '../log/index.js';
import type { FarmAccounts } from './account.js';
import { describeFarmTrouble } from './farm-trouble.js';
import type { LoopStatus } from './loop-status.js';
import type { LoopWaits } from './loop-waits.js';
import type { RequestPacing } from './request-pacing.js';
import { type FarmSession, LoginError } from './session.js';
import { abortOnStop } from './stop-signal.js';

/** An exit code: 0 after a requested stop, 1 when the farm refused to work with this agent. */
export type LoopExit = 0 | 1;

/** How long a paired agent that knows no farm server waits for its console's before the public farm. */
export const CONSOLE_SERVER_WAIT_MS = 2 * 60_000;

export interface LoginStepOptions {
  session: FarmSession;
  accounts: FarmAccounts;
  controls: Controls;
  clock: Clock;
  log: Logger;
  pacing: RequestPacing;
  waits: LoopWaits;
  status: LoopStatus;
  onLoggedIn: () => void;
}

export class LoginStep {
  /** The last "no account" message logged: said once, not on every wake-up. */
  private missingLogged: string | undefined;
  /** When the wait for the console's farm server ends (set when it begins; once per run). */
  private serverWaitEndsAt: number | undefined;
  private serverWaitOver = false;

  constructor(private readonly options: LoginStepOptions) {}

  /**
   * Logs in; undefined once logged in, else the loop's exit code. The first login of a run is not
   * retried when the farm cannot be reached (as the official client); a login again is.
   */
  async logIn(again: boolean): Promise<LoopExit | undefined> {
    const { session, controls, log } = this.options;
    while (!controls.stopRequested) {
      if (!this.options.accounts.current) {
        await this.waitForAccount();
        continue;
      }
      if (!this.options.accounts.serverKnown && controls.linkedToConsole && !this.serverWaitOver) {
        await this.waitForConsoleServer();
        continue;
      }
      this.options.status.setWorker('logging-in');
      // A stop (after the frame or now) ends the login and its speed test at once: no frame to finish.
      const stop = abortOnStop(controls);
      const retries = controls.retries;
      try {
        await session.login(stop.signal);
        if (session.loggedInTo !== this.options.accounts.server) {
          log.info('the farm server changed during the login: logging in to the new one');
          continue;
        }
        this.options.pacing.answered();
        this.options.onLoggedIn();
        return undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof LoginError && error.kind === 'stopped') {
          log.warn(message);
          return 0;
        }
        if (error instanceof LoginError && error.kind === 'no-account') continue;
        // The account or the farm server changed (or "retry now") while this login was under way.
        if (controls.retries !== retries) {
          log.warn('login failed; trying again with the new settings', { error: message });
          continue;
        }
        if (error instanceof LoginError && error.kind === 'refused') {
          if (error.status !== ConfigStatus.CLIENT_TOO_OLD && this.options.accounts.source === 'console') {
            await this.waitForAnotherAccount(message);
            continue;
          }
          if (error.status !== ConfigStatus.CLIENT_TOO_OLD || !controls.linkedToConsole) {
            this.options.status.fail(message);
            return 1;
          }
          await this.waitForClientVersion(message);
          continue;
        }
        if (!again) {
          this.options.status.fail(message);
          return 1;
        }
        const trouble = describeFarmTrouble(error instanceof LoginError ? (error.cause ?? error) : error);
        const { since, waitMs } = this.options.pacing.failed(trouble.kind, this.options.clock.now());
        log.warn('cannot log in again', { error: message });
        await this.options.status.backOff(
          { code: 'farm-unreachable', message: trouble.sentence, detail: trouble.detail, since },
          waitMs,
        );
      } finally {
        stop.dispose();
      }
    }
    return 0;
  }

  /** No account: says why and what to do, and waits until one comes (or the agent is stopped). */
  private async waitForAccount(): Promise<void> {
    const { controls, accounts, waits } = this.options;
    const message = accounts.missingMessage(controls.linkedToConsole);
    if (message !== this.missingLogged) this.options.log.warn(message);
    this.missingLogged = message;
    this.options.status.idle({ code: 'no-farm-account', message, until: null });
    await waits.sleep(60 * 60_000);
  }

  /**
   * Paired, with no farm server of its own nor one kept from the console: waits (at most
   * CONSOLE_SERVER_WAIT_MS in all) for the console's fleet settings, then the public farm.
   */
  private async waitForConsoleServer(): Promise<void> {
    const { clock, log, waits } = this.options;
    const now = clock.now();
    if (this.serverWaitEndsAt === undefined) {
      this.serverWaitEndsAt = now + CONSOLE_SERVER_WAIT_MS;
      log.info('waiting for the farm server from the console before logging in', {
        until: formatLocalTime(this.serverWaitEndsAt, now),
      });
    }
    if (now >= this.serverWaitEndsAt) {
      this.serverWaitOver = true;
      log.warn(
        `no farm server from the console within ${CONSOLE_SERVER_WAIT_MS / 60_000} minutes: logging in to the public farm`,
      );
      return;
    }
    const message =
      'Waiting for the farm server from the console before logging in; the public SheepIt farm if the console does not answer in time.';
    this.options.status.idle({ code: 'other', message, until: this.serverWaitEndsAt });
    await waits.sleep(this.serverWaitEndsAt - now);
  }

  /** The farm refused the console's account: waits for the console to send another one. */
  private async waitForAnotherAccount(refusal: string): Promise<void> {
    const { controls, accounts, log, waits } = this.options;
    const refused = accounts.current;
    const message =
      "The farm refused the farm account set in the console. Correct its login or render key in the console's Fleet settings (or this machine's page).";
    log.error(refusal);
    this.options.status.idle({ code: 'login-refused', message, until: null, detail: refusal.slice(0, 500) });
    const retries = controls.retries;
    while (!controls.stopRequested && accounts.current === refused && controls.retries === retries)
      await waits.sleep(60 * 60_000);
  }

  /** 101 with a console: says what to do and waits for another client version (or "retry now"). */
  private async waitForClientVersion(refusal: string): Promise<void> {
    const { controls, log, waits } = this.options;
    const version = controls.clientVersion;
    const retries = controls.retries;
    const message =
      `The farm refuses client version ${version} as too old. Set the official SheepIt client's ` +
      `current version for the fleet in the console (Fleet settings), or start this agent with --client-version.`;
    log.error(refusal);
    this.options.status.idle({ code: 'login-refused', message, until: null, detail: refusal.slice(0, 500) });
    while (!controls.stopRequested && controls.clientVersion === version && controls.retries === retries) {
      await waits.sleep(60 * 60_000);
    }
    if (controls.clientVersion !== version)
      log.info('logging in with another client version', { version: controls.clientVersion });
  }
}
