// Heartbeat (docs/decisions.md D4): a keepmealive after min(15 min, 0.75 × max-period) without traffic, with
// the current job's progress; status 400 cancels the current job (reported as type 22 by the loop).
import { buildKeepAlive, type Endpoints, type KeepAliveParams, parseKeepAliveAnswer } from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/index.js';
import type { FarmHttp } from './http.js';

const FIFTEEN_MINUTES_MS = 15 * 60_000;
/**
 * max-period comes from the farm: a tiny one must not turn the heartbeat into a request storm.
 * SheepIt's is 800–1440 s; no farm needs a heartbeat more often than twice a minute.
 */
const MIN_INTERVAL_MS = 30_000;
/** After a failed heartbeat, try again after this long (the Rust client's 60 s). */
const RETRY_AFTER_FAILURE_MS = 60_000;

export function heartbeatIntervalMs(maxPeriodSeconds: number | undefined): number {
  if (maxPeriodSeconds === undefined || maxPeriodSeconds <= 0) return FIFTEEN_MINUTES_MS;
  const interval = Math.min(FIFTEEN_MINUTES_MS, Math.floor(0.75 * maxPeriodSeconds * 1000));
  return Math.max(MIN_INTERVAL_MS, interval);
}

export interface KeepAliveInputs {
  paused: boolean;
  /** The job the farm loop is working on (as the farm sent it), if any. */
  job: { id: string; frame: string } | undefined;
  /** Its live state: the last render estimate. */
  etaSeconds: number | null | undefined;
  /** When Blender started for this job, null before (see AgentStateStore.renderStartedAt). */
  renderStartedAt: number | null;
  now: number;
}

/**
 * The keepmealive parameters (docs/protocol.md §2.5): `rendertime` is seconds since the Blender process
 * started, 0 before it (as the official client) — downloading and extracting is not render time.
 */
export function keepAliveParams(inputs: KeepAliveInputs): KeepAliveParams {
  const { paused, job, etaSeconds, renderStartedAt, now } = inputs;
  if (!job) return { paused };
  const renderTimeSeconds =
    renderStartedAt === null ? 0 : Math.max(0, Math.round((now - renderStartedAt) / 1000));
  return {
    paused,
    job: {
      id: job.id,
      frame: job.frame,
      renderTimeSeconds,
      ...(etaSeconds == null ? {} : { remainingSeconds: Math.round(etaSeconds) }),
    },
  };
}

export interface HeartbeatOptions {
  http: FarmHttp;
  clock: Clock;
  log: Logger;
  endpoints: () => Endpoints | undefined;
  /** The keepmealive parameters right now (paused, current job). */
  params: () => KeepAliveParams;
  /** The farm answered 400 for this job. */
  onStopJob: (jobId: string) => void;
}

export class Heartbeat {
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    this.running ??= this.loop().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { clock, http } = this.options;
    let failedAt: number | undefined;
    while (!this.stopper.signal.aborted) {
      const interval = heartbeatIntervalMs(this.options.endpoints()?.maxPeriodSeconds);
      const due = Math.max(http.lastTrafficAt + interval, (failedAt ?? 0) + RETRY_AFTER_FAILURE_MS);
      const wait = due - clock.now();
      if (wait > 0) {
        await clock.sleep(wait, this.stopper.signal);
        continue; // traffic may have happened meanwhile: recompute
      }
      failedAt = (await this.beat()) ? undefined : clock.now();
    }
  }

  /** One keepmealive; true when the farm answered. */
  async beat(): Promise<boolean> {
    const { http, log } = this.options;
    const endpoints = this.options.endpoints();
    if (!endpoints) return false;
    const params = this.options.params();
    try {
      const answer = await http.sendXml(buildKeepAlive(endpoints, params), parseKeepAliveAnswer, {
        signal: this.stopper.signal,
      });
      log.debug('heartbeat', {
        status: answer.status,
        job: params.job?.id,
        rendertime: params.job?.renderTimeSeconds,
      });
      if (answer.status === 400 && params.job) {
        log.warn('the farm cancelled the current job', { job: params.job.id });
        this.options.onStopJob(params.job.id);
      }
      return true;
    } catch (error) {
      if (!this.stopper.signal.aborted) log.warn('heartbeat failed', { error: (error as Error).message });
      return false;
    }
  }
}
