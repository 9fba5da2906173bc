import { AGENT_CRASHED, type AgentState } from '@flock/protocol';
import { formatBytes } from '../../lib/format';
import type { MachineRecord } from '../views';
import type { AlertRule, AlertRules } from './settings';

/** What the engine remembers per machine from its events, beyond the state the Fleet holds. */
export interface MachineHistory {
  /** Error events since the last delivered frame. */
  errorStreak: number;
  /** The last error event's message and log tail (the crash report when Blender crashed). */
  lastError: { code: string; message: string; logExcerpt: string } | null;
  /** Set by a crash error event, cleared by the next delivered frame. */
  crashed: boolean;
  /** The last frame delivered, or when the console started watching the machine. */
  lastFrameAt: number;
  /** Since when the machine has been expected to deliver frames (online, not paused); null if not. */
  workingSince: number | null;
  lastProject: string | null;
  /** The upload queue's length when last seen, and since when it has grown without ever shrinking. */
  uploadQueue: { last: number; growingSince: number | null };
}

/** A queue that grows for this long without shrinking is stuck (the farm takes no uploads). */
export const UPLOAD_QUEUE_GROWING_MS = 30 * 60_000;

/** Follows the upload queue: growing starts the clock; shrinking or emptying stops it. */
export function trackUploadQueue(history: MachineHistory, queued: number, now: number): void {
  const queue = history.uploadQueue;
  if (queued > queue.last) queue.growingSince ??= now;
  else if (queued < queue.last || queued === 0) queue.growingSince = null;
  queue.last = queued;
}

/** A rule's verdict for one machine now: whether its condition holds and for how long it must. */
export interface Condition {
  holds: boolean;
  /** How long the condition must hold before the incident fires. */
  delayMs: number;
  title: string;
  detail: string;
}

/** Error codes of a crash: Blender crashed (also on a Python error), the agent's renderer died, or the agent itself (AGENT_CRASHED). */
export function isCrashCode(code: string): boolean {
  return /CRASH/i.test(code);
}

/** Statuses and reasons where no frame is expected: a person or a schedule stopped the machine. */
const RESTING_STATUSES: ReadonlySet<AgentState['status']> = new Set(['paused', 'stopping', 'stopped']);
/** Reasons a working machine renders nothing on purpose: the user's pause, its windows, an owner rule. */
const RESTING_REASONS = new Set([
  'paused-by-user',
  'outside-request-time',
  'window-closing',
  'rule',
  'stopping',
]);

export function expectsFrames(record: MachineRecord): boolean {
  const state = record.state;
  if (!record.online || !state) return false;
  return !RESTING_STATUSES.has(state.status) && !RESTING_REASONS.has(state.reason?.code ?? '');
}

const MINUTE = 60_000;
const GiB = 2 ** 30;

/** A full disk (the agent stopped on it) or less free space on the cache's disk than the rule's minimum. */
function diskCondition(rule: AlertRules['diskFull'], name: string, state: AgentState | null): Condition {
  const full = state?.reason?.code === 'disk-full';
  const disk = state?.disk;
  const low = disk != null && disk.freeBytes < rule.minFreeGib * GiB;
  const space = disk ? `${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.totalBytes)}` : null;
  return {
    holds: rule.enabled && (full || low),
    delayMs: 0,
    title: full ? `${name}: disk full` : `${name}: disk nearly full: ${space}`,
    detail: full
      ? (state?.reason?.message ?? 'The agent reports a full disk.')
      : `Less than ${rule.minFreeGib} GiB left on the disk of the agent's cache; free space for downloads and frames waiting to upload.`,
  };
}
const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** Every rule's verdict for one machine. A disabled rule never holds. */
export function evaluateRules(
  rules: AlertRules,
  record: MachineRecord,
  history: MachineHistory,
  now: number,
): Record<AlertRule, Condition> {
  const state = record.online ? record.state : null;
  const reason = state?.reason?.code;
  const name = record.name;
  const noFramesMs = rules.noFrames.hours * 60 * MINUTE;
  const quietSince = Math.max(history.lastFrameAt, history.workingSince ?? now);
  return {
    offline: {
      holds: rules.offline.enabled && !record.online && record.lastSeenAt !== null,
      delayMs: rules.offline.minutes * MINUTE,
      title: `${name} is offline`,
      detail: `No link from ${name} for more than ${plural(rules.offline.minutes, 'minute')}.`,
    },
    'farm-unreachable': {
      holds: rules.farmUnreachable.enabled && reason === 'farm-unreachable',
      delayMs: rules.farmUnreachable.minutes * MINUTE,
      title: `${name} cannot reach the farm`,
      detail: state?.reason?.detail ?? state?.reason?.message ?? 'The farm does not answer.',
    },
    'error-streak': {
      holds: rules.errorStreak.enabled && history.errorStreak >= rules.errorStreak.count,
      delayMs: 0,
      title: `${name}: ${plural(history.errorStreak, 'error')} in a row`,
      detail: history.lastError
        ? `Last: ${history.lastError.code}: ${history.lastError.message}`
        : 'Errors with no frame delivered in between.',
    },
    'upload-queue': {
      holds:
        rules.uploadQueue.enabled &&
        state !== null &&
        (state.uploads.queued >= rules.uploadQueue.count ||
          (history.uploadQueue.growingSince !== null &&
            now - history.uploadQueue.growingSince >= UPLOAD_QUEUE_GROWING_MS)),
      delayMs: 0,
      title: `${name}: ${plural(state?.uploads.queued ?? 0, 'frame')} waiting to upload`,
      detail: `The upload queue holds ${rules.uploadQueue.count} frames or more, or has grown for ${UPLOAD_QUEUE_GROWING_MS / 60_000} minutes without shrinking; the farm may not accept uploads.`,
    },
    'no-frames': {
      holds:
        rules.noFrames.enabled &&
        history.workingSince !== null &&
        expectsFrames(record) &&
        now - quietSince >= noFramesMs,
      delayMs: 0,
      title: `${name} delivered no frame in ${plural(rules.noFrames.hours, 'hour')}`,
      detail: state?.reason?.message ?? `Status: ${state?.status ?? 'unknown'}.`,
    },
    'disk-full': diskCondition(rules.diskFull, name, state),
    crash: {
      holds: rules.crash.enabled && history.crashed,
      delayMs: 0,
      title:
        history.lastError?.code === AGENT_CRASHED
          ? `${name}: the agent stopped without shutting down`
          : `${name}: Blender crashed`,
      detail: history.lastError ? `${history.lastError.code}: ${history.lastError.message}` : 'A crash.',
    },
  };
}
