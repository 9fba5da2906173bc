// One job inside the farm loop: refuses blocked projects, runs the job with its own abort (user
// interrupts, heartbeat 400), collects the job's log for the report, and reports a failure.
import {
  type Endpoints,
  errorType,
  isStopOnPurpose,
  type Job,
  type JobPhaseSpan,
  type StopOnPurpose,
  type StopReason,
  stopErrorType,
} from '@flock/protocol';
import { formatReportLine, type LogEntry, type Logger } from '../log/index.js';
import type { AgentStateStore, WorkerState } from '../state/index.js';
import type { BlockedProjects } from './blocked-projects.js';
import type { ErrorReporter } from './error-report.js';
import type { JobOutcome, JobRunner } from './job-runner.js';
import type { LoopStatus } from './loop-status.js';
import { stopJob } from './stop-signal.js';

const MAX_JOB_LOG_LINES = 5000;

export interface JobStepOptions {
  log: Logger;
  store: AgentStateStore;
  runner: JobRunner;
  reporter: ErrorReporter;
  blocks: BlockedProjects;
  status: Pick<LoopStatus, 'setWorker'>;
}

export class JobStep {
  private running: { job: Job; abort: AbortController } | undefined;

  constructor(private readonly options: JobStepOptions) {}

  get current(): Job | undefined {
    return this.running?.job;
  }

  /** Stops the running job, if any, for `reason`. */
  stop(reason: StopReason): void {
    if (this.running) stopJob(this.running.abort, reason);
  }

  /** The farm cancelled this job (heartbeat 400). */
  cancel(jobId: string): void {
    if (this.running?.job.id === jobId) stopJob(this.running.abort, 'server');
  }

  /** A project the console blocked for the fleet is being rendered here: stop it as a user block. */
  stopIfBlocked(): void {
    const job = this.running?.job;
    if (job && this.options.blocks.has(job.archiveMd5)) this.stop('block-project');
  }

  /** Works the job; returns the error type reported when it failed or was refused. */
  async work(job: Job, endpoints: Endpoints): Promise<number | undefined> {
    if (this.options.blocks.has(job.archiveMd5)) {
      // Refused before anything is downloaded, reported as the official client reports a user block.
      this.options.log.info('refusing a job of a blocked project', { job: job.id, project: job.name });
      const type = stopErrorType('block-project');
      await this.options.reporter.report({ type, job, lines: ['project blocked by the user'] });
      return type;
    }
    const abort = new AbortController();
    this.running = { job, abort };
    // Formatted only if the job fails: most jobs never need their log lines as text.
    const entries: LogEntry[] = [];
    const stopCapture = this.options.log.onEntry((entry: LogEntry) => {
      if (entries.length < MAX_JOB_LOG_LINES) entries.push(entry);
    });
    const follow = () => this.followPhase();
    this.options.store.on('change', follow);
    let outcome: JobOutcome;
    try {
      this.options.status.setWorker('downloading');
      outcome = await this.options.runner.run(job, endpoints, abort.signal);
    } finally {
      this.options.store.off('change', follow);
      this.running = undefined;
      stopCapture();
    }
    if (outcome.kind !== 'rendered') return this.failed(job, outcome, entries);
    // Stored while the loop asks for the next job; a frame lost to the disk is still reported.
    void outcome.stored.then((lost) => lost && this.failed(job, lost, entries));
    return undefined;
  }

  private followPhase(): void {
    const phase = this.options.store.state.job?.phase;
    const worker: WorkerState | undefined =
      phase === 'render' || phase === 'prepare'
        ? 'rendering'
        : phase === 'download' || phase === 'extract'
          ? 'downloading'
          : undefined;
    if (worker && this.options.store.local.worker !== worker) this.options.status.setWorker(worker);
  }

  private async failed(
    job: Job,
    outcome: Exclude<JobOutcome, { kind: 'rendered' }>,
    entries: LogEntry[],
  ): Promise<number> {
    const stopped = outcome.kind === 'stopped';
    const type = stopped ? stopErrorType(outcome.reason) : outcome.errorType;
    const message = stopped ? `job stopped (${outcome.reason})` : outcome.message;
    // A stop on purpose (the user's, the farm's) is an event; a limit's stop (time, memory) failed the frame.
    const { phases } = outcome;
    if (stopped && isStopOnPurpose(outcome.reason)) this.stopped(job, outcome.reason, phases);
    else this.announceFailure(job, type, message, this.options.store.logExcerpt(entries.slice(-200)), phases);
    const { renderTimeSeconds, memoryUsedKiB, blenderVersion } = outcome;
    const lines = entries.map(formatReportLine);
    await this.options.reporter.report({
      type,
      job,
      lines: [...lines, `flock: job failed: ${message}`],
      ...(renderTimeSeconds === undefined ? {} : { renderTimeSeconds }),
      ...(memoryUsedKiB === undefined ? {} : { memoryUsedKiB }),
      ...(blenderVersion === undefined ? {} : { blenderVersion }),
    });
    return type;
  }

  /** Stopped on purpose (by the user or the farm): an event for the console, not an error. */
  private stopped(job: Job, by: StopOnPurpose, phases: JobPhaseSpan[] | undefined): void {
    if (by === 'block-project') this.options.blocks.block(job);
    this.options.log.info('job stopped', { job: job.id, frame: job.frame, by });
    this.options.store.publish({
      kind: 'job-stopped',
      jobId: job.id,
      project: job.name.slice(0, 300),
      frame: Number.parseInt(job.frame, 10) || 0,
      by,
      ...(phases ? { phases } : {}),
    });
  }

  private announceFailure(
    job: Job,
    type: number,
    message: string,
    logExcerpt: string,
    phases: JobPhaseSpan[] | undefined,
  ): void {
    const { store, log } = this.options;
    const name = errorType(type).name;
    log.warn('job failed', { job: job.id, type: `${type} ${name}`, error: message });
    store.updateStats({ framesFailed: store.state.stats.framesFailed + 1 });
    store.updateLocal({ lastError: `${name}: ${message}` });
    store.publish({
      kind: 'error',
      jobId: job.id,
      project: job.name.slice(0, 300),
      frame: Number.parseInt(job.frame, 10) || 0,
      code: name,
      message: message.slice(0, 2000),
      logExcerpt,
      ...(phases ? { phases } : {}),
    });
  }
}
