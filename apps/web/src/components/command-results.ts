import type { CommandOutcome } from '../server/link/hub';

/** One sentence about what a command did across machines. */
export function describeOutcomes(action: string, outcomes: CommandOutcome[]): string {
  const done = outcomes.filter((o) => o.status === 'acked' && o.result.ok).length;
  const refused = outcomes.flatMap((o) => (o.status === 'acked' && !o.result.ok ? [o.result.message] : []));
  const waiting = outcomes.filter((o) => o.status === 'sent').length;
  const offline = outcomes.filter((o) => o.status === 'offline').length;
  const parts = [`${action}: ${done} of ${outcomes.length} done`];
  if (waiting) parts.push(`${waiting} not answered yet`);
  if (offline) parts.push(`${offline} offline`);
  if (refused.length) parts.push(`refused: ${[...new Set(refused)].join('; ')}`);
  return parts.join(', ');
}
