import type { CommandOutcome } from '../server/link/hub';

/** The agent's reason when a command had nothing to do (a resume of a machine that is not paused). */
function nothingToDo(outcome: CommandOutcome): string | undefined {
  if (outcome.status !== 'acked' || !outcome.result.ok || !outcome.result.unchanged) return undefined;
  return outcome.result.message ?? 'had nothing to do';
}

/** "1 was not paused", "2 were not paused". */
const counted = (count: number, why: string): string =>
  `${count} ${count === 1 ? why : why.replace(/^was\b/, 'were')}`;

/**
 * One sentence about what a command did across machines: how many did it, how many had nothing to do
 * (and why), limits queued for machines that are away, machines that did not answer, refusals.
 */
export function describeOutcomes(action: string, outcomes: CommandOutcome[]): string {
  const unchanged = new Map<string, number>();
  for (const why of outcomes.map(nothingToDo))
    if (why !== undefined) unchanged.set(why, (unchanged.get(why) ?? 0) + 1);
  const done = outcomes.filter((o) => o.status === 'acked' && o.result.ok && !nothingToDo(o)).length;
  const refused = outcomes.flatMap((o) => (o.status === 'acked' && !o.result.ok ? [o.result.message] : []));
  const count = (status: CommandOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  const [waiting, queued, offline] = [count('sent'), count('queued'), count('offline')];
  const unchangedCount = [...unchanged.values()].reduce((sum, n) => sum + n, 0);
  const parts: string[] = [];
  if (queued < outcomes.length && unchangedCount < outcomes.length)
    parts.push(`${done} of ${outcomes.length} done`);
  for (const [why, n] of unchanged) parts.push(counted(n, why));
  if (queued === 1 && outcomes.length === 1) parts.push('queued: applied when it reconnects');
  else if (queued) parts.push(`${queued} queued: applied when they reconnect`);
  if (waiting) parts.push(`${waiting} not answered yet`);
  if (offline) parts.push(`${offline} offline`);
  if (refused.length) parts.push(`refused: ${[...new Set(refused)].join('; ')}`);
  return `${action}: ${parts.join(', ')}`;
}
