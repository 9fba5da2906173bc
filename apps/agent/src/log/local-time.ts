// Times for the person at this machine, in its own zone and locale, never as raw ISO text.
import type { NotRenderingReason } from '@flock/protocol';

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

/** Why the agent is not rendering, with its times: "… since 14:02:07, next try at 14:02:37". */
export function formatReason(reason: NotRenderingReason, now: number): string {
  const parts = [reason.message.replace(/\.$/, '')];
  if (reason.since !== undefined) parts.push(`since ${formatLocalTime(reason.since, now)}`);
  if (reason.until !== null) {
    const label = reason.code === 'outside-request-time' ? 'until' : 'next try at';
    parts.push(`${label} ${formatLocalTime(reason.until, now)}`);
  }
  return parts.join(', ');
}
