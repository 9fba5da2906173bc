// Why the agent is not rendering, for the person at this machine (times: @flock/protocol's local-time).
import { formatLocalTime, type NotRenderingReason, reasonTimes } from '@flock/protocol';

export { formatLocalTime };

/** Why the agent is not rendering, with its times: "… since 14:02:07, next try at 14:02:37". */
export function formatReason(reason: NotRenderingReason, now: number): string {
  return [reason.message.replace(/\.$/, ''), ...reasonTimes(reason, now)].join(', ');
}
