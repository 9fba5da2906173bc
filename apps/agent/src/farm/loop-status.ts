// What the farm loop shows: its worker state, why it is not rendering, a failure, the back-off waits
// it announces, and its farm session. The loop and its steps (login, a full disk) decide; this
// records and waits.
import type { NotRenderingReason } from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Controls } from '../controls/index.js';
import { formatLocalTime, type Logger } from '../log/index.js';
import { type AgentStateStore, statusOfWorker, type WorkerState } from '../state/index.js';
import type { JobRunner } from './job-runner.js';
import type { LoopWaits, WaitEnd } from './loop-waits.js';
import type { FarmSession } from './session.js';

export interface LoopStatusOptions {
  store: AgentStateStore;
  controls: Controls;
  runner: Pick<JobRunner, 'discardSpare'>;
  clock: Clock;
  log: Logger;
  waits: LoopWaits;
  session: Pick<FarmSession, 'loggedInAs' | 'loggedInTo'>;
}

export class LoopStatus {
  constructor(private readonly options: LoopStatusOptions) {}

  setWorker(worker: WorkerState): void {
    const { store, controls } = this.options;
    // A spare project is only kept from one frame to the job requested right after it.
    if (worker !== 'requesting' && worker !== 'downloading' && worker !== 'rendering')
      this.options.runner.discardSpare();
    if (worker !== 'idle' && worker !== 'uploading-wait' && worker !== 'stopping') store.setReason(null);
    store.updateLocal({ worker });
    store.update({ status: statusOfWorker(worker, controls.paused, store.state.reason) });
  }

  idle(reason: NotRenderingReason, worker: WorkerState = 'idle'): void {
    this.options.store.setReason(reason);
    this.setWorker(worker);
  }

  /** The farm refused to work with this agent: logged, kept as the last error, shown as `error`. */
  fail(message: string): void {
    const { store, log } = this.options;
    log.error(message);
    store.updateLocal({ lastError: message });
    store.update({
      status: 'error',
      reason: { code: 'session-error', message: message.slice(0, 500), until: null },
    });
  }

  /**
   * Not rendering until `waitMs` from now, or until the user stops, pauses or asks to retry now. An
   * owner rule that starts to hold meanwhile is shown as the reason at once; the wait goes on.
   */
  async backOff(reason: Omit<NotRenderingReason, 'until'>, waitMs: number): Promise<WaitEnd> {
    const { clock, controls } = this.options;
    const until = clock.now() + Math.round(waitMs);
    const show = () => this.idle(controls.ruleHold?.reason ?? { ...reason, until });
    show();
    const next = formatLocalTime(until, clock.now());
    this.options.log.info(`${reason.message.replace(/\.?$/, '.')} Next try at ${next}.`);
    controls.on('change', show);
    try {
      return await this.options.waits.until(until);
    } finally {
      controls.off('change', show);
    }
  }

  /** The state's session: the farm and the login of the account now logged in. */
  sessionStarted(): void {
    const { store, session, clock } = this.options;
    store.update({
      session: {
        server: session.loggedInTo ?? '',
        login: session.loggedInAs ?? '',
        connected: true,
        startedAt: clock.now(),
      },
    });
  }

  /** The session is over (logged out or never logged in): shown as disconnected. */
  sessionEnded(): void {
    const { store } = this.options;
    store.update({ session: store.state.session && { ...store.state.session, connected: false } });
  }
}
