// Times of the agent's state as people read them, in their own zone and locale, never as raw ISO
// text: the agent's terminal and `status`, and the console's pages, show them the same way.
import type { NotRenderingReason } from './state';

/** "14:02:07" on the day of `now`, else with the day too ("Tue, 6 Jan, 14:02"). */
export function formatLocalTime(at: number, now: number = at): string {
  const date = new Date(at);
  if (date.toDateString() === new Date(now).toDateString()) return date.toLocaleTimeString();
  return date.toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Reasons whose `until` is when the request-time window opens again, not a next try. */
const UNTIL_WINDOW_OPENS: ReadonlySet<NotRenderingReason['code']> = new Set([
  'outside-request-time',
  'window-closing',
]);

/** The times of a reason: "since 14:02:07", "next try at 14:02:37" (a request-time window: "until …"). */
export function reasonTimes(reason: NotRenderingReason, now: number): string[] {
  const times: string[] = [];
  if (reason.since !== undefined) times.push(`since ${formatLocalTime(reason.since, now)}`);
  if (reason.until !== null) {
    const label = UNTIL_WINDOW_OPENS.has(reason.code) ? 'until' : 'next try at';
    times.push(`${label} ${formatLocalTime(reason.until, now)}`);
  }
  return times;
}
