// The farm loop as explicit worker states:
//   starting → logging-in → requesting → downloading/rendering → uploading-wait → idle(reason) →
//   stopping → stopped
// Each pass decides from the user's controls, the request-time windows and the upload queue whether
// to ask for a job; every job-request status gets the reaction of the protocol's code table, and
// the agent always records why it is not rendering. Requests are paced (request-pacing.ts), logins
// are their own step (login-step.ts).
import {
  buildJobRequest,
  ERROR_REPORT_PAUSE_MS,
  ERROR_TYPES_WITHOUT_PAUSE,
  ErrorType,
  errorType,
  type Job,
  type JobRequestAnswer,
  type JobRequestParams,
  jobRequestStatus,
  MAX_OUTSTANDING_FRAMES,
  type NotRenderingReason,
  parseJobRequestAnswer,
} from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Controls } from '../controls/index.js';
import type { ArchiveCache } from '../download/index.js';
import type { Logger } from '../log/index.js';
import type { AgentStateStore } from '../state/index.js';
import type { FarmAccounts } from './account.js';
import type { BlockedProjects } from './blocked-projects.js';
import { type DiskSpace, waitForDiskSpace } from './disk-space.js';
import type { ErrorReporter } from './error-report.js';
import { describeFarmTrouble } from './farm-trouble.js';
import { projectGiven } from './frame-estimate.js';
import type { FarmHttp } from './http.js';
import type { JobRunner } from './job-runner.js';
import { JobStep } from './job-step.js';
import { LoginStep, type LoopExit } from './login-step.js';
import { LoopStatus } from './loop-status.js';
import { LoopWaits } from './loop-waits.js';
import type { FrameUploads } from './ports.js';
import { RequestPacing } from './request-pacing.js';
import { requestWindowHold } from './request-window.js';
import { type FarmSession, LoginError } from './session.js';
import { abortOnStop } from './stop-signal.js';

export type { LoopExit } from './login-step.js';

const UPLOAD_QUEUE_POLL_MS = 4000;

export interface FarmLoopOptions {
  clock: Clock;
  log: Logger;
  store: AgentStateStore;
  controls: Controls;
  http: FarmHttp;
  session: FarmSession;
  accounts: FarmAccounts;
  reporter: ErrorReporter;
  runner: JobRunner;
  uploads: FrameUploads;
  cache: ArchiveCache;
  blocks: BlockedProjects;
  /** Where the archives go, and how its free space is read (while idle for lack of space). */
  disk: DiskSpace;
  /** The job-request parameters for the current limits and transfer speeds. */
  jobRequestParams: () => JobRequestParams;
  /** Lines of the type-0 report sent after login (settings, hardware). */
  configDump: () => string[];
  /** Called after each successful (re)login, e.g. to start the heartbeat. */
  onLoggedIn?: () => void;
  random?: () => number;
}

export class FarmLoop {
  private readonly jobs: JobStep;
  private readonly waits: LoopWaits;
  private readonly pacing: RequestPacing;
  private readonly logins: LoginStep;
  private readonly status: LoopStatus;
  /** 203/205/208: no request until the user acts ("retry now", resume) — `retries` as it was then. */
  private idleForever: { reason: NotRenderingReason; retries: number } | undefined;
  private noJobStreak = 0;
  /** Why the agent must log in again before its next job request (none: it need not). */
  private reloginWanted: string | undefined;

  constructor(private readonly options: FarmLoopOptions) {
    const { clock, controls, uploads, session, log, accounts } = options;
    this.pacing = new RequestPacing(options.random ?? Math.random);
    this.waits = new LoopWaits({ clock, controls, uploads });
    this.status = new LoopStatus({ ...options, waits: this.waits });
    this.jobs = new JobStep({ ...options, status: this.status });
    this.logins = new LoginStep({
      session,
      accounts,
      controls,
      clock,
      log,
      pacing: this.pacing,
      waits: this.waits,
      status: this.status,
      onLoggedIn: () => options.onLoggedIn?.(),
    });
    controls.on('stop-job', (reason) => this.jobs.stop(reason));
  }

  /** The job being worked on (for the heartbeat). */
  get currentJob(): Job | undefined {
    return this.jobs.current;
  }

  /**
   * Log in again before the next job request: the farm refused a frame as from a disabled or dead
   * session (304), or the account changed.
   */
  requestRelogin(why = 'the farm refused a frame of this session'): void {
    this.reloginWanted = why;
  }

  /** The farm cancelled this job (heartbeat 400). */
  cancelJob(jobId: string): void {
    this.jobs.cancel(jobId);
  }

  /** The blocked projects changed (the console's fleet blocks): a running job of one of them stops. */
  blocksChanged(): void {
    this.jobs.stopIfBlocked();
  }

  async run(): Promise<LoopExit> {
    const { log, reporter, controls } = this.options;
    const login = await this.logins.logIn(false);
    if (login === 1) return 1;
    if (login === 0) {
      // Stopped while logging in: no session, so no uploads were started.
      await this.shutDown({ uploadsStarted: false });
      return 0;
    }
    if (controls.stopRequested) {
      await this.shutDown({ uploadsStarted: true });
      return 0;
    }
    this.status.sessionStarted();
    const stop = abortOnStop(controls);
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
      this.waits.markSeen();
      if (controls.stopRequested) return 0;
      const maxFrames = controls.maxFrames;
      if (maxFrames !== null && store.local.framesDelivered >= maxFrames) {
        this.status.idle({
          code: 'max-frames-reached',
          message: `${maxFrames} frames delivered`,
          until: null,
        });
        return 0;
      }
      if (maxFrames !== null && store.local.framesDelivered + uploads.outstanding() >= maxFrames) {
        this.status.idle(
          { code: 'max-frames-reached', message: 'waiting for the last uploads', until: null },
          'uploading-wait',
        );
        await this.waits.forChange(UPLOAD_QUEUE_POLL_MS);
        continue;
      }
      if (controls.paused) {
        this.status.idle({ code: 'paused-by-user', message: 'paused by the user', until: null });
        await this.waits.forChange(null);
        continue;
      }
      // An owner rule holds: no job request until it lifts, which wakes this wait at once.
      if (controls.ruleHold) {
        this.status.idle(controls.ruleHold.reason);
        await this.waits.forChange(null);
        continue;
      }
      if (this.idleForever && this.idleForever.retries === controls.retries) {
        this.status.idle(this.idleForever.reason);
        await this.waits.forChange(null);
        continue;
      }
      this.idleForever = undefined;
      if (!(await this.inRequestWindow())) continue;
      if (this.reloginWanted) {
        const why = this.reloginWanted;
        this.reloginWanted = undefined;
        const exit = await this.relogin(why);
        if (exit !== undefined) return exit;
      }
      if (uploads.outstanding() >= MAX_OUTSTANDING_FRAMES) {
        const message = `upload queue full (${uploads.outstanding()} frames waiting for the farm)`;
        this.status.idle({ code: 'upload-queue-full', message, until: null }, 'uploading-wait');
        await this.waits.forChange(UPLOAD_QUEUE_POLL_MS);
        continue;
      }
      if (!(await this.pastRequestFloor())) continue;
      const exit = await this.requestAndWork();
      if (exit !== undefined) return exit;
    }
  }

  /**
   * Inside a request-time window, and the next frame (as estimated from this machine's recent
   * frames) ends before it closes; else the reason, and a wait until it is time to look again.
   */
  private async inRequestWindow(): Promise<boolean> {
    const { controls, clock, store } = this.options;
    const now = clock.now();
    const hold = requestWindowHold(controls.schedule, now, store.local.frameTimes);
    if (!hold) return true;
    this.status.idle(hold.reason);
    await this.waits.forChange(hold.recheckAt === null ? null : hold.recheckAt - now);
    return false;
  }

  /**
   * While jobs end without a frame, the next request waits for the floor, so a farm that keeps
   * offering a project this machine refuses cannot make it spin. "Retry now" lifts the floor once.
   */
  private async pastRequestFloor(): Promise<boolean> {
    const earliest = this.pacing.earliestNextRequest();
    if (this.options.clock.now() >= earliest) return true;
    const message = 'Jobs keep ending without a frame; asking the farm again shortly.';
    const end = await this.status.backOff(
      { code: 'backing-off', message },
      earliest - this.options.clock.now(),
    );
    if (end === 'cut' && !this.options.controls.stopRequested && !this.options.controls.paused)
      this.pacing.waive();
    return false;
  }

  /** One job request and what follows; returns an exit code when the loop must end. */
  private async requestAndWork(): Promise<LoopExit | undefined> {
    this.status.setWorker('requesting');
    this.pacing.requested(this.options.clock.now());
    let answer: JobRequestAnswer;
    try {
      answer = await this.requestJob();
    } catch (error) {
      return this.onRequestFailure(error);
    }
    this.pacing.answered();
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
        await this.status.backOff(
          { code: 'no-job', message: info.explanation },
          base * (1 + 0.1 * this.random()),
        );
        return undefined;
      }
      case 'retry': {
        const waitMs = reaction.minMs + (reaction.maxMs - reaction.minMs) * this.random();
        await this.status.backOff(
          { code: 'server-busy', message: `${info.name}: ${info.explanation}` },
          waitMs,
        );
        return undefined;
      }
      case 'relogin':
        return this.relogin(info.explanation);
      case 'stop':
        this.status.fail(`${answer.status} ${info.name}: ${info.explanation}`);
        return 1;
      case 'idle-until-user': {
        const code = answer.status === 205 ? 'no-job-for-hardware' : 'session-error';
        const message = `${answer.status} ${info.name}: ${info.explanation}`;
        this.idleForever = { reason: { code, message, until: null }, retries: this.options.controls.retries };
        this.options.log.error(message);
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

  /** The farm did not answer properly: a sentence for people, the raw error as detail, a growing wait. */
  private async onRequestFailure(error: unknown): Promise<LoopExit | undefined> {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof LoginError) return this.relogin(message);
    const trouble = describeFarmTrouble(error);
    const { since, waitMs } = this.pacing.failed(trouble.kind, this.options.clock.now());
    this.options.log.warn('job request failed', { error: message });
    await this.status.backOff(
      { code: 'farm-unreachable', message: trouble.sentence, detail: trouble.detail, since },
      waitMs,
    );
    return undefined;
  }

  /** Stats and the farm's `<file action="delete">` cleanup come before the status (the official client too). */
  private async applyAnswerSideEffects(answer: JobRequestAnswer): Promise<void> {
    const { store, cache, log } = this.options;
    if (answer.stats) {
      store.updateStats({ creditsSession: Math.max(0, answer.stats.creditsSession) });
      this.options.uploads.sessionCredits(store.state.stats.creditsSession);
      store.updateLocal({ creditsTotal: answer.stats.creditsTotal });
    }
    for (const file of answer.files) {
      if (file.action !== 'delete') continue;
      await cache.delete(file.md5).then(
        () => log.info("archive removed at the farm's request", { md5: file.md5 }),
        (error: Error) => log.warn('cannot remove archive', { md5: file.md5, error: error.message }),
      );
    }
  }

  /**
   * Works one job. A disk found full is waited out by watching the free space; after any other
   * failure not in ERROR_TYPES_WITHOUT_PAUSE, the official client's 5-minute pause.
   */
  private async workOn(job: Job): Promise<undefined> {
    const { session, controls, log, store, blocks } = this.options;
    // A blocked project's job is refused: the farm gives another one next.
    if (!blocks.has(job.archiveMd5))
      store.updateLocal({ frameTimes: projectGiven(store.local.frameTimes, job.name) });
    const endpoints = session.endpoints;
    if (!endpoints) return undefined;
    const failedType = await this.jobs.work(job, endpoints);
    this.pacing.jobEnded(failedType === undefined);
    if (failedType === ErrorType.NO_SPACE_LEFT_ON_DEVICE) {
      await waitForDiskSpace(this.options.disk, {
        controls,
        log,
        waits: this.waits,
        idle: (reason) => this.status.idle(reason),
      });
    } else if (failedType !== undefined && !ERROR_TYPES_WITHOUT_PAUSE.has(failedType)) {
      const message = `Pausing after error ${errorType(failedType).name}, as the official client does.`;
      await this.status.backOff({ code: 'backing-off', message }, ERROR_REPORT_PAUSE_MS);
    }
    return undefined;
  }

  private async reportAndPause(type: number, message: string): Promise<undefined> {
    this.options.log.warn(message);
    await this.options.reporter.report({ type, lines: [message] });
    await this.status.backOff({ code: 'backing-off', message }, ERROR_REPORT_PAUSE_MS);
    return undefined;
  }

  /** 202 (or a dead session found elsewhere): log in again, waiting while the farm is unreachable. */
  private async relogin(why: string): Promise<LoopExit | undefined> {
    this.options.log.info('logging in again', { why });
    const exit = await this.logins.logIn(true);
    if (exit === undefined) this.status.sessionStarted();
    return exit;
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }

  /** Waits for the uploads (unless stopped 'now' or they never started: no session), then logs out. */
  private async shutDown({ uploadsStarted }: { uploadsStarted: boolean }): Promise<void> {
    const { controls, uploads, session, log } = this.options;
    this.status.setWorker('stopping');
    if (uploadsStarted && controls.stopRequested !== 'now' && uploads.outstanding() > 0) {
      this.status.idle(
        {
          code: 'stopping',
          // The console's Stop keeps the process: it waits for Start once the uploads are done.
          message: `finishing the uploads before ${controls.afterStop === 'wait' ? 'stopping' : 'exiting'}`,
          until: null,
        },
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
    this.status.sessionEnded();
    this.status.setWorker('stopped');
  }
}
