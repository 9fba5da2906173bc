// How one machine's update stands, judged from what its agent reports (pure: the roll-out calls it
// on every change of the machine).
import type { AgentState, CommandResult, Hello } from '@flock/protocol';

/** Where one machine is in a roll-out. */
export type MachineUpdateStatus =
  /** Not sent yet: waiting for the canary, or for the machine to come online. */
  | { kind: 'pending' }
  /** Sent: the agent downloads, restarts and must come back on the new version. */
  | { kind: 'updating'; since: number }
  | { kind: 'done'; at: number }
  | { kind: 'rolled-back'; at: number; reason: string }
  | { kind: 'failed'; at: number; reason: string }
  /** Never sent: the roll-out stopped before this machine. */
  | { kind: 'skipped'; reason: string };

/** What is known about the machine when the command went: its boot, and its state then. */
export interface SentTo {
  bootId: string | null;
  /** The state object the console held when a new boot was first seen (it predates that boot). */
  staleState?: AgentState | null;
}

export interface MachineView {
  online: boolean;
  hello: Hello | null;
  state: AgentState | null;
}

/**
 * The outcome once the machine runs `versionId`, or reports the launcher's rollback of it (after a
 * restart: a state of the new boot), or a failure before the restart; null while it is underway.
 */
export function judgeUpdate(
  machine: MachineView,
  versionId: string,
  sent: SentTo,
  now: number,
): Exclude<MachineUpdateStatus, { kind: 'pending' | 'updating' | 'skipped' }> | null {
  const lifecycle = machine.state?.lifecycle;
  if (!machine.online || !lifecycle) return null;
  if (lifecycle.versionId === versionId) return { kind: 'done', at: now };
  const update = lifecycle.update;
  if (update?.versionId !== versionId) return null;
  if (update.kind === 'failed') return { kind: 'failed', at: now, reason: update.message ?? 'it failed' };
  const newBoot = machine.hello?.bootId !== sent.bootId;
  const freshState = sent.staleState === undefined || machine.state !== sent.staleState;
  if (update.kind === 'rolled-back' && newBoot && freshState)
    return { kind: 'rolled-back', at: now, reason: update.message ?? 'no reason given' };
  return null;
}

/** What the agent's answer to `update` means for the roll-out. */
export function statusOfAnswer(result: CommandResult, now: number): MachineUpdateStatus {
  if (result.ok) return { kind: 'updating', since: now };
  return { kind: 'failed', at: now, reason: result.message };
}
