// Whether the agent may ask the farm for a job under the request-time windows: only inside one, and
// only when the next frame (as estimated from this machine's recent frames, frame-estimate.ts) ends
// before the window closes, so the machine is free when the owner wants it back.
import { formatLocalTime, type NotRenderingReason, type Schedule } from '@flock/protocol';
import { estimateNextFrame, type FrameEstimate, type FrameTimes } from './frame-estimate.js';

/** Room left after the estimate: the job request itself, and a frame somewhat slower than the median. */
const MIN_MARGIN_MS = 60_000;
const MARGIN_SHARE = 0.1;

/** Why no job may be asked for now, and when to look again (null: only on a change of controls). */
export interface RequestWindowHold {
  reason: NotRenderingReason;
  recheckAt: number | null;
}

/** Undefined: ask for a job. No windows, or no estimate yet, never hold back an open window. */
export function requestWindowHold(
  schedule: Schedule | undefined,
  now: number,
  frameTimes: FrameTimes,
): RequestWindowHold | undefined {
  if (!schedule) return undefined;
  if (!schedule.isOpen(now)) {
    const opens = schedule.nextOpening(now);
    const reason = {
      code: 'outside-request-time',
      message: 'outside the request-time windows',
      until: opens,
    } as const;
    return { reason, recheckAt: opens };
  }
  const reason = windowClosingReason(schedule, now, estimateNextFrame(frameTimes));
  // Looked at again when the window closed, so the reason then says it is closed.
  return reason && { reason, recheckAt: schedule.nextClosing(now) };
}

/** What is left free after the estimate before the window must close. */
export function fitMarginMs(estimateMs: number): number {
  return Math.max(MIN_MARGIN_MS, estimateMs * MARGIN_SHARE);
}

/**
 * Why the agent must not ask for a job now although the window is open: the next frame would not end
 * before it closes. `until` is when the window opens again. Undefined when it fits, when the window
 * is closed or never closes, or without an estimate; undefined too when the frame would not fit in
 * the whole next window either: waiting would not make it fit, and the machine would never ask again
 * (the estimate changes only with a delivered frame), so it asks as it would without an estimate.
 */
export function windowClosingReason(
  schedule: Schedule,
  now: number,
  estimate: FrameEstimate | undefined,
): NotRenderingReason | undefined {
  if (!estimate || !schedule.isOpen(now)) return undefined;
  const needed = estimate.ms + fitMarginMs(estimate.ms);
  const closes = schedule.nextClosing(now);
  if (closes === null || now + needed <= closes) return undefined;
  const opens = schedule.nextOpening(closes);
  const closesAgain = opens === null ? null : schedule.nextClosing(opens);
  if (opens !== null && closesAgain !== null && opens + needed > closesAgain) return undefined;
  return {
    code: 'window-closing',
    message: `the next frame (${aboutDuration(estimate.ms)}) would not finish before the window closes at ${formatLocalTime(closes, now)}`,
    until: opens,
  };
}

/** "about 12 min", "about 2 h 05 min". */
export function aboutDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 120) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
