// The agent's one observable state. The shape the console sees is @flock/protocol's AgentState;
// `local` holds what only this process shows (worker state, transfer totals, delivered frames).
// Every change emits 'change'; frame results and errors are also emitted as link events.
import { EventEmitter } from 'node:events';
import {
  type AgentEvent,
  type AgentState,
  type AgentStatus,
  boundedLogFields,
  type CurrentJob,
  type LogLine,
  logLineText,
  type MachineInfo,
  type NotRenderingReason,
  REASONS_IN_ERROR,
} from '@flock/protocol';
import { type Clock, systemClock } from '../clock.js';
import { type FrameTimes, NO_FRAME_TIMES } from '../farm/frame-estimate.js';
import type { ConsoleLinkInfo } from '../link/linked-agent.js';
import { formatLocalTime, type LogEntry } from '../log/index.js';
import { FrameThumbnails } from './frame-thumbnails.js';

/** Explicit worker states of the farm loop (Flamenco style). */
export type WorkerState =
  | 'starting'
  | 'logging-in'
  | 'requesting'
  | 'downloading'
  | 'rendering'
  | 'uploading-wait'
  | 'idle'
  | 'stopping'
  | 'stopped';

/** The console's coarser status for a worker state (idle for a reason in REASONS_IN_ERROR: error). */
export function statusOfWorker(
  worker: WorkerState,
  paused: boolean,
  reason: NotRenderingReason | null = null,
): AgentStatus {
  switch (worker) {
    case 'starting':
    case 'logging-in':
      return 'starting';
    case 'uploading-wait':
      return 'uploading';
    case 'idle':
      if (paused) return 'paused';
      return reason && REASONS_IN_ERROR.has(reason.code) ? 'error' : 'idle';
    default:
      return worker;
  }
}

export interface LocalState {
  worker: WorkerState;
  framesDelivered: number;
  creditsTotal: number | null;
  downloadedBytes: number;
  uploadedBytes: number;
  /** Frames rendered and not yet accepted or refused by the farm (persisted queue). */
  uploadsPending: number;
  /** The last error report sent, for the status line. */
  lastError: string | null;
  /** The console link, null when this agent is not paired with a console. */
  consoleLink: ConsoleLinkInfo | null;
  /** Recent frame times per project, for the next frame's estimate (kept across restarts). */
  frameTimes: FrameTimes;
}

export interface StateSnapshot {
  state: AgentState;
  local: LocalState;
}

const RECENT_LOG_LINES = 200;
/** Log lines an error event carries as its evidence. */
const EXCERPT_LINES = 40;

interface StateEvents {
  change: [];
  event: [AgentEvent];
}

export class AgentStateStore extends EventEmitter<StateEvents> {
  /** Fills `frame-done` events in with the thumbnail taken when the frame was rendered (if heard). */
  readonly thumbnails = new FrameThumbnails(() => this.listenerCount('event') > 0);
  private current: AgentState;
  private localState: LocalState = {
    worker: 'starting',
    framesDelivered: 0,
    creditsTotal: null,
    downloadedBytes: 0,
    uploadedBytes: 0,
    uploadsPending: 0,
    lastError: null,
    consoleLink: null,
    frameTimes: NO_FRAME_TIMES,
  };
  private renderStart: { jobId: string; at: number } | null = null;
  private announcedTrouble: string | undefined;

  constructor(
    initial: Pick<AgentState, 'machine' | 'limits'>,
    private readonly clock: Clock = systemClock,
  ) {
    super();
    this.current = {
      machine: initial.machine,
      session: null,
      status: 'starting',
      afterFrame: null,
      reason: null,
      job: null,
      limits: initial.limits,
      usage: { cpuPercent: 0, memoryBytes: 0 },
      uploads: { queued: 0, inFlight: 0 },
      stats: { framesRendered: 0, framesFailed: 0, creditsSession: 0, renderTimeMsTotal: 0 },
      lastFramePath: null,
      blockedProjects: [],
      recentLog: [],
    };
  }

  /** The current state: an immutable value, replaced (never mutated) on every change. */
  get state(): AgentState {
    return this.current;
  }

  get local(): LocalState {
    return this.localState;
  }

  snapshot(): StateSnapshot {
    return { state: this.current, local: this.localState };
  }

  /**
   * When the current job's render phase began, or null before. The render port enters that phase
   * when the Blender process has started, so this is the start the keep-alive's `rendertime` counts
   * from (docs/protocol.md §2.5), not the job's start (downloads and extraction are not render time).
   */
  get renderStartedAt(): number | null {
    return this.renderStart?.at ?? null;
  }

  update(patch: Partial<AgentState>): void {
    if ('job' in patch) this.followRenderStart(patch.job ?? null);
    // A job again: the trouble is over, the next one is news.
    if (patch.job) this.announcedTrouble = undefined;
    this.current = Object.freeze({ ...this.current, ...patch });
    this.emit('change');
    if (patch.reason) this.announceTrouble(patch.reason);
  }

  /**
   * A reason that needs someone (the farm gone, a refused login, a full disk, a disabled session) is
   * also an error event for the console, with the recent log as its evidence: once per episode (an
   * outage keeps its `since` across its retries).
   */
  private announceTrouble(reason: NotRenderingReason): void {
    if (!REASONS_IN_ERROR.has(reason.code)) return;
    const episode = `${reason.code} ${reason.since ?? reason.message}`;
    if (episode === this.announcedTrouble) return;
    this.announcedTrouble = episode;
    const recent = this.logExcerpt(this.current.recentLog.slice(-EXCERPT_LINES));
    this.publish({
      kind: 'error',
      jobId: null,
      code: reason.code,
      message: reason.message,
      logExcerpt: reason.detail ? `${recent}\ndetail: ${reason.detail}` : recent,
    });
  }

  private followRenderStart(job: CurrentJob | null): void {
    if (job?.id !== this.renderStart?.jobId) this.renderStart = null;
    if (job?.phase === 'render' && !this.renderStart)
      this.renderStart = { jobId: job.id, at: this.clock.now() };
  }

  updateLocal(patch: Partial<LocalState>): void {
    this.localState = Object.freeze({ ...this.localState, ...patch });
    this.emit('change');
  }

  updateStats(patch: Partial<AgentState['stats']>): void {
    this.update({ stats: { ...this.current.stats, ...patch } });
  }

  setReason(reason: NotRenderingReason | null): void {
    const current = this.current.reason;
    const same =
      reason === current ||
      (reason !== null &&
        current !== null &&
        (['code', 'message', 'until', 'since', 'detail'] as const).every(
          (key) => reason[key] === current[key],
        ));
    if (!same) this.update({ reason });
  }

  /** Log lines as an error's evidence: `14:02:07 warn  message key=value`, in this machine's time. */
  logExcerpt(lines: readonly (Pick<LogEntry, 'at' | 'level' | 'message'> & Partial<LogEntry>)[]): string {
    const now = this.clock.now();
    return lines
      .map((line) => `${formatLocalTime(line.at, now)} ${line.level.padEnd(5)} ${logLineText(line)}`)
      .join('\n')
      .slice(-64 * 1024);
  }

  setMachine(machine: MachineInfo): void {
    this.update({ machine });
  }

  publish(event: AgentEvent): void {
    this.emit('event', this.thumbnails.complete(event));
  }

  recordLog(entry: LogEntry): void {
    if (entry.level === 'debug') return;
    const fields = boundedLogFields(entry.fields);
    const line: LogLine = {
      at: entry.at,
      level: entry.level,
      message: entry.message.slice(0, 4000),
      ...(fields ? { fields } : {}),
    };
    this.update({ recentLog: [...this.current.recentLog.slice(-(RECENT_LOG_LINES - 1)), line] });
  }
}
