// The farm loop as explicit worker states:
//   starting → logging-in → requesting → downloading/rendering → uploading-wait → idle(reason) →
//   stopping → stopped
// Each pass decides from the user's controls, the request-time windows and the upload queue whether
// to ask for a job; every job-request status gets the reaction of the protocol's code table, and
// the agent always records why it is not rendering.
import {
  buildJobRequest,
  ERROR_REPORT_PAUSE_MS,
  ERROR_TYPES_WITHOUT_PAUSE,
  ErrorType,
  errorType,
  isProtocolError,
  type Job,
  type JobRequestAnswer,
  type JobRequestParams,
  jobRequestStatus,
  type NotRenderingReason,
  parseJobRequestAnswer,
} from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Controls } from '../controls/index.js';
import type { ArchiveCache } from '../download/index.js';
import type { Logger } from '../log/index.js';
import { type AgentStateStore, statusOfWorker, type WorkerState } from '../state/index.js';
import type { ErrorReporter } from './error-report.js';
import { type FarmHttp, FarmHttpError } from './http.js';
import type { JobRunner } from './job-runner.js';
import { JobStep } from './job-step.js';
import type { FrameUploads } from './ports.js';
import { type FarmSession, LoginError } from './session.js';
import { abortOnStop } from './stop-signal.js';

/** The farm gives one session at most 3 unvalidated frames (docs/protocol.md §7). */
export const MAX_OUTSTANDING_UPLOADS = 3;
const UPLOAD_QUEUE_POLL_MS = 4000;
/**
 * docs/protocol.md §1.2: farm unreachable (network, HTTP error) → 10–30 min; an answer that is not the
 * expected XML → 15–30 min.
 */
const SERVER_DOWN = { minMs: 10 * 60_000, maxMs: 30 * 60_000 };
const BAD_ANSWER = { minMs: 15 * 60_000, maxMs: 30 * 60_000 };

export interface FarmLoopOptions {
  clock: Clock;
  log: Logger;
  store: AgentStateStore;
  controls: Controls;
  http: FarmHttp;
  session: FarmSession;
  reporter: ErrorReporter;
  runner: JobRunner;
  uploads: FrameUploads;
  cache: ArchiveCache;
  /** The job-request parameters for the current limits and transfer speeds. */
  jobRequestParams: () => JobRequestParams;
  /** Lines of the type-0 report sent after login (settings, hardware). */
  configDump: () => string[];
  /** Called after each successful (re)login, e.g. to start the heartbeat. */
  onLoggedIn?: () => void;
  /** Shown in the state's session. */
  account: { server: string; login: string };
  random?: () => number;
}

/** An exit code: 0 after a requested stop, 1 when the farm refused to work with this agent. */
export type LoopExit = 0 | 1;

export class FarmLoop {
  private readonly jobs: JobStep;
  private idleForever: NotRenderingReason | undefined;
  private noJobStreak = 0;
  private reloginWanted = false;
  /** The controls revision this pass of the loop has taken into account. */
  private seenRevision = -1;
  private readonly random: () => number;

  constructor(private readonly options: FarmLoopOptions) {
    this.random = options.random ?? Math.random;
    this.jobs = new JobStep({ ...options, setWorker: (worker) => this.setWorker(worker) });
    options.controls.on('interrupt', (reason) => this.jobs.interrupt(reason));
  }

  /** The job being worked on (for the heartbeat). */
  get currentJob(): Job | undefined {
    return this.jobs.current;
  }

  /** The farm refused a frame as from a disabled or dead session (304): log in again before the next request. */
  requestRelogin(): void {
    this.reloginWanted = true;
  }

  /** The farm cancelled this job (heartbeat 400). */
  cancelJob(jobId: string): void {
    this.jobs.cancel(jobId);
  }

  async run(): Promise<LoopExit> {
    const { log, session, reporter } = this.options;
    this.setWorker('logging-in');
    const stop = abortOnStop(this.options.controls);
    try {
      await session.login(stop.signal);
    } catch (error) {
      stop.dispose();
      if (error instanceof LoginError && error.kind === 'stopped') {
        log.warn(error.message);
        await this.shutDown({ uploadsStarted: false });
        return 0;
      }
      this.fail(error instanceof Error ? error.message : String(error));
      return 1;
    }
    const { server, login } = this.options.account;
    this.options.store.update({
      session: { server, login, connected: true, startedAt: this.options.clock.now() },
    });
    this.options.onLoggedIn?.();
    await reporter.report({ type: ErrorType.OK, lines: this.options.configDump() }, stop.signal);
    stop.dispose();
    let exit: LoopExit = 1;
    try {
      exit = await this.work();
    } catch (error) {
      log.error('the farm loop stopped on an unexpected error', {
        error: (error as Error).stack ?? String(error),
      });
    }
    await this.shutDown({ uploadsStarted: true });
    return exit;
  }

  private async work(): Promise<LoopExit> {
    const { controls, uploads, store } = this.options;
    for (;;) {
      this.seenRevision = controls.revision;
      if (controls.stopRequested) return 0;
      const maxFrames = controls.maxFrames;
      if (maxFrames !== null && store.local.framesDelivered >= maxFrames) {
        this.idle({ code: 'max-frames-reached', message: `${maxFrames} frames delivered`, until: null });
        return 0;
      }
      if (maxFrames !== null && store.local.framesDelivered + uploads.outstanding() >= maxFrames) {
        this.idle(
          { code: 'max-frames-reached', message: 'waiting for the last uploads', until: null },
          'uploading-wait',
        );
        await this.waitForChange(UPLOAD_QUEUE_POLL_MS);
        continue;
      }
      if (controls.paused) {
        this.idle({ code: 'paused-by-user', message: 'paused by the user', until: null });
        await this.waitForChange(null);
        continue;
      }
      if (this.idleForever) {
        this.idle(this.idleForever);
        await this.waitForChange(null);
        continue;
      }
      if (!(await this.inRequestWindow())) continue;
      if (this.reloginWanted) {
        this.reloginWanted = false;
        const exit = await this.relogin('the farm refused a frame of this session');
        if (exit !== undefined) return exit;
      }
      if (uploads.outstanding() >= MAX_OUTSTANDING_UPLOADS) {
        const message = `upload queue full (${uploads.outstanding()} frames waiting for the farm)`;
        this.idle({ code: 'upload-queue-full', message, until: null }, 'uploading-wait');
        await this.waitForChange(UPLOAD_QUEUE_POLL_MS);
        continue;
      }
      const exit = await this.requestAndWork();
      if (exit !== undefined) return exit;
    }
  }

  private async inRequestWindow(): Promise<boolean> {
    const schedule = this.options.controls.schedule;
    const now = this.options.clock.now();
    if (!schedule || schedule.isOpen(now)) return true;
    const opens = schedule.nextOpening(now);
    const message =
      opens === null
        ? 'outside the request-time windows'
        : `outside the request-time windows until ${new Date(opens).toISOString()}`;
    this.idle({ code: 'outside-request-time', message, until: opens });
    await this.waitForChange(opens === null ? null : opens - now);
    return false;
  }

  /** One job request and what follows; returns an exit code when the loop must end. */
  private async requestAndWork(): Promise<LoopExit | undefined> {
    this.setWorker('requesting');
    let answer: JobRequestAnswer;
    try {
      answer = await this.requestJob();
    } catch (error) {
      return this.onRequestFailure(error);
    }
    await this.applyAnswerSideEffects(answer);
    const info = jobRequestStatus(answer.status);
    const reaction = info.reaction;
    if (answer.status !== 200) this.noJobStreak = 0;
    switch (reaction.kind) {
      case 'proceed':
        if (answer.job) return this.workOn(answer.job);
        return this.reportAndPause(ErrorType.UNKNOWN, 'the farm answered status 0 without a job');
      case 'backoff-ladder': {
        const steps = reaction.stepsMs;
        const base = steps[Math.min(this.noJobStreak++, steps.length - 1)] ?? 0;
        return this.backOff('no-job', info.explanation, base, base * 1.1);
      }
      case 'retry':
        return this.backOff(
          'server-busy',
          `${info.name}: ${info.explanation}`,
          reaction.minMs,
          reaction.maxMs,
        );
      case 'relogin':
        return this.relogin(info.explanation);
      case 'stop':
        this.fail(`${answer.status} ${info.name}: ${info.explanation}`);
        return 1;
      case 'idle-until-user': {
        const code = answer.status === 205 ? 'no-job-for-hardware' : 'session-error';
        this.idleForever = {
          code,
          message: `${answer.status} ${info.name}: ${info.explanation}`,
          until: null,
        };
        this.options.log.error(this.idleForever.message);
        return undefined;
      }
      default:
        return this.reportAndPause(ErrorType.UNKNOWN, `unknown job-request status ${answer.status}`);
    }
  }

  private async requestJob(): Promise<JobRequestAnswer> {
    const { session, cache, http } = this.options;
    const endpoints = session.endpoints;
    if (!endpoints) throw new LoginError('unreachable', 'no farm session');
    const spec = buildJobRequest(endpoints, this.options.jobRequestParams(), cache.cachedMd5s());
    return http.sendXml(spec, (body, type) => parseJobRequestAnswer(body, type));
  }

  private async onRequestFailure(error: unknown): Promise<LoopExit | undefined> {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof LoginError) return this.relogin(message);
    const wait =
      isProtocolError(error) || (error instanceof FarmHttpError && error.kind === 'too-large')
        ? BAD_ANSWER
        : SERVER_DOWN;
    this.options.log.warn('job request failed', { error: message });
    return this.backOff(
      'server-busy',
      `the farm is not answering properly: ${message}`,
      wait.minMs,
      wait.maxMs,
    );
  }

  /** Stats and the farm's `<file action="delete">` cleanup come before the status (the official client too). */
  private async applyAnswerSideEffects(answer: JobRequestAnswer): Promise<void> {
    const { store, cache, log } = this.options;
    if (answer.stats) {
      store.updateStats({ creditsSession: Math.max(0, answer.stats.creditsSession) });
      store.updateLocal({ creditsTotal: answer.stats.creditsTotal });
    }
    for (const file of answer.files) {
      if (file.action !== 'delete') continue;
      await Promise.all([cache.delete(file.md5), this.options.runner.forget(file.md5)]).then(
        () => log.info("archive removed at the farm's request", { md5: file.md5 }),
        (error: Error) => log.warn('cannot remove archive', { md5: file.md5, error: error.message }),
      );
    }
  }

  /** Works one job; after a failure that is not in ERROR_TYPES_WITHOUT_PAUSE, pauses 5 minutes. */
  private async workOn(job: Job): Promise<undefined> {
    const endpoints = this.options.session.endpoints;
    if (!endpoints) return undefined;
    const failedType = await this.jobs.work(job, endpoints);
    if (failedType !== undefined && !ERROR_TYPES_WITHOUT_PAUSE.has(failedType)) {
      const name = errorType(failedType).name;
      await this.backOff(
        'backing-off',
        `pausing after error ${name}`,
        ERROR_REPORT_PAUSE_MS,
        ERROR_REPORT_PAUSE_MS,
      );
    }
    return undefined;
  }

  private async reportAndPause(type: number, message: string): Promise<undefined> {
    this.options.log.warn(message);
    await this.options.reporter.report({ type, lines: [message] });
    await this.backOff('backing-off', message, ERROR_REPORT_PAUSE_MS, ERROR_REPORT_PAUSE_MS);
    return undefined;
  }

  /** 202 (or a dead session found elsewhere): log in again, waiting while the farm is unreachable. */
  private async relogin(why: string): Promise<LoopExit | undefined> {
    const { log, session, controls } = this.options;
    log.info('logging in again', { why });
    while (!controls.stopRequested) {
      this.setWorker('logging-in');
      const stop = abortOnStop(this.options.controls);
      try {
        await session.login(stop.signal);
        this.options.onLoggedIn?.();
        return undefined;
      } catch (error) {
        if (error instanceof LoginError && error.kind === 'stopped') return undefined;
        if (error instanceof LoginError && error.kind === 'refused') {
          this.fail(error.message);
          return 1;
        }
        await this.backOff(
          'session-error',
          `cannot log in again: ${(error as Error).message}`,
          SERVER_DOWN.minMs,
          SERVER_DOWN.maxMs,
        );
      } finally {
        stop.dispose();
      }
    }
    return undefined;
  }

  private async backOff(
    code: NotRenderingReason['code'],
    message: string,
    minMs: number,
    maxMs: number,
  ): Promise<undefined> {
    const { clock, controls, log } = this.options;
    const until = clock.now() + Math.round(minMs + (maxMs - minMs) * this.random());
    this.idle({ code, message, until });
    log.info(`${message}; next try at ${new Date(until).toISOString()}`);
    // Only a stop or a pause cuts a back-off short; other changes (limits) do not end the wait.
    while (!controls.stopRequested && !controls.paused && clock.now() < until) {
      this.seenRevision = controls.revision;
      await this.waitForChange(until - clock.now());
    }
    return undefined;
  }

  /**
   * Sleeps until `ms` passed (null: forever) or the user or the upload queue changed something —
   * including a change made while this pass was busy (a stop that came during a request).
   */
  private async waitForChange(ms: number | null): Promise<void> {
    const { controls, uploads, clock } = this.options;
    const wake = new AbortController();
    const onChange = () => wake.abort();
    controls.on('change', onChange);
    const stopUploads = uploads.onChange(onChange);
    if (controls.revision !== this.seenRevision) wake.abort();
    try {
      if (wake.signal.aborted) return;
      if (ms === null)
        await new Promise((resolve) => wake.signal.addEventListener('abort', resolve, { once: true }));
      else await clock.sleep(ms, wake.signal).catch(() => undefined);
    } finally {
      controls.off('change', onChange);
      stopUploads();
    }
  }

  /** Waits for the uploads (unless stopped 'now' or they never started: no session), then logs out. */
  private async shutDown({ uploadsStarted }: { uploadsStarted: boolean }): Promise<void> {
    const { controls, uploads, session, log } = this.options;
    this.setWorker('stopping');
    if (uploadsStarted && controls.stopRequested !== 'now' && uploads.outstanding() > 0) {
      this.idle(
        { code: 'stopping', message: 'finishing the uploads before exiting', until: null },
        'stopping',
      );
      log.info('waiting for the uploads to finish', { outstanding: uploads.outstanding() });
      const giveUp = new AbortController();
      const onStopNow = () => {
        if (controls.stopRequested === 'now') giveUp.abort();
      };
      controls.on('change', onStopNow);
      await uploads.drained(giveUp.signal);
      controls.off('change', onStopNow);
    }
    await Promise.all([session.logout(), this.options.runner.settled()]);
    this.options.store.update({
      session: this.options.store.state.session && { ...this.options.store.state.session, connected: false },
    });
    this.setWorker('stopped');
  }

  private idle(reason: NotRenderingReason, worker: WorkerState = 'idle'): void {
    this.options.store.setReason(reason);
    this.setWorker(worker);
  }

  private fail(message: string): void {
    this.options.log.error(message);
    this.options.store.updateLocal({ lastError: message });
    this.options.store.update({
      status: 'error',
      reason: { code: 'session-error', message: message.slice(0, 500), until: null },
    });
  }

  private setWorker(worker: WorkerState): void {
    const { store, controls } = this.options;
    // A spare project is only kept from one frame to the job requested right after it.
    if (worker !== 'requesting' && worker !== 'downloading' && worker !== 'rendering')
      this.options.runner.discardSpare();
    if (worker !== 'idle' && worker !== 'uploading-wait' && worker !== 'stopping') store.setReason(null);
    store.updateLocal({ worker });
    store.update({ status: statusOfWorker(worker, controls.paused) });
  }
}
