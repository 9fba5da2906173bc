// Agent versions and updates in words, for the machine page, the list and the Updates panel.
import type { AgentLifecycle, UpdateOutcome } from '@flock/protocol';
import type { MachineUpdateStatus } from '../server/updates/progress';
import type { Rollout } from '../server/updates/rollout';
import { formatClockTime } from './format';

/** "0.1.1 (build 0123456789ab)", or the bare version for an agent run from a clone. */
export function describeAgentVersion(version: string | null, lifecycle: AgentLifecycle | null): string {
  if (!version) return '—';
  const build = lifecycle?.versionId ? ` (build ${lifecycle.versionId.slice(-12)})` : '';
  return `${version}${build}`;
}

/** Whether the console can restart and update it, and why not. */
export function describeSupervision(lifecycle: AgentLifecycle | null): string {
  if (!lifecycle) return 'unknown (an older agent)';
  if (!lifecycle.supervisor) return 'no service: restart and update it on the machine';
  if (!lifecycle.versionId) return `restarted by ${lifecycle.supervisor}; updated with git (a clone)`;
  return `restarted and updated by ${lifecycle.supervisor}`;
}

const versionOf = (versionId: string) => versionId.replace(/-[0-9a-f]{12}$/, '');

/** The agent's last update as it reports it. */
export function describeUpdateOutcome(update: UpdateOutcome, now = Date.now()): string {
  const version = versionOf(update.versionId);
  const at = formatClockTime(update.at, now);
  switch (update.kind) {
    case 'downloading':
      return `downloading ${version} (since ${at})`;
    case 'restarting':
      return `restarting into ${version} after the current frame (since ${at})`;
    case 'confirmed':
      return `updated to ${version} at ${at}`;
    case 'failed':
      return `update to ${version} failed at ${at}: ${update.message ?? 'no reason given'}`;
    case 'rolled-back':
      return `rolled back from ${version} at ${at}: ${update.message ?? 'no reason given'}`;
  }
}

/** One machine's place in a roll-out of `versionId`. */
export function describeRolloutStatus(
  status: MachineUpdateStatus,
  versionId: string,
  now = Date.now(),
): string {
  const version = versionOf(versionId);
  switch (status.kind) {
    case 'pending':
      return 'pending';
    case 'updating':
      return `updating since ${formatClockTime(status.since, now)}`;
    case 'done':
      return `on ${version} since ${formatClockTime(status.at, now)}`;
    case 'rolled-back':
      return `rolled back at ${formatClockTime(status.at, now)}: ${status.reason}`;
    case 'failed':
      return `failed at ${formatClockTime(status.at, now)}: ${status.reason}`;
    case 'skipped':
      return status.reason;
  }
}

/** True while a roll-out still sends the build or waits for machines to come back on it. */
export const isRolloutRunning = (rollout: Rollout | null): boolean =>
  rollout !== null && (rollout.phase === 'canary' || rollout.phase === 'fleet');

/**
 * How often the Updates panel asks again: every 2 s while a roll-out runs (each machine's progress),
 * else once a minute (a build added, machines that moved); starting or cancelling asks at once.
 */
export const updatesRefetchMs = (rollout: Rollout | null): number =>
  isRolloutRunning(rollout) ? 2_000 : 60_000;
