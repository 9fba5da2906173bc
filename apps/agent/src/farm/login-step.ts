// Logging in, at start and again (202, a dead session): an unreachable farm is waited out with the
// growing back-off; a refused login stops the agent with what to do, except "client too old" (101)
// on a machine linked to a console, which waits for the console to set the client version.
import { ConfigStatus } from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Controls } from '../controls/index.js';
import type { Logger } from '../log/index.js';
import { describeFarmTrouble } from './farm-trouble.js';
import type { LoopStatus } from './loop-status.js';
import type { LoopWaits } from './loop-waits.js';
import type { RequestPacing } from './request-pacing.js';
import { type FarmSession, LoginError } from './session.js';
import { abortOnStop } from './stop-signal.js';

/** An exit code: 0 after a requested stop, 1 when the farm refused to work with this agent. */
export type LoopExit = 0 | 1;

export interface LoginStepOptions {
  session: FarmSession;
  controls: Controls;
  clock: Clock;
  log: Logger;
  pacing: RequestPacing;
  waits: LoopWaits;
  status: LoopStatus;
  onLoggedIn: () => void;
}

export class LoginStep {
  constructor(private readonly options: LoginStepOptions) {}

  /**
   * Logs in; undefined once logged in, else the loop's exit code. The first login of a run is not
   * retried when the farm cannot be reached (as the official client); a login again is.
   */
  async logIn(again: boolean): Promise<LoopExit | undefined> {
    const { session, controls, log } = this.options;
    while (!controls.stopRequested) {
      this.options.status.setWorker('logging-in');
      // A stop (after the frame or now) ends the login and its speed test at once: no frame to finish.
      const stop = abortOnStop(controls);
      try {
        await session.login(stop.signal);
        this.options.pacing.answered();
        this.options.onLoggedIn();
        return undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof LoginError && error.kind === 'stopped') {
          log.warn(message);
          return 0;
        }
        if (error instanceof LoginError && error.kind === 'refused') {
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
