'use client';
import type { ControlCommand } from '@flock/protocol';
import { useMutation } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useTRPC } from '../lib/trpc';
import type { CommandOutcome } from '../server/link/hub';
import type { Notify } from './toast';

/** Sends a command (named `label` for the user) to the machines; resolves true when the console took it. */
export type SendCommand = (label: string, command: ControlCommand) => Promise<boolean>;

/** Sends control commands to the machines `ids` and tells the user what each did. */
export function useSendCommand(ids: string[], notify: Notify): { send: SendCommand; busy: boolean } {
  const trpc = useTRPC();
  const command = useMutation(trpc.fleet.command.mutationOptions());
  const send: SendCommand = async (label, cmd) => {
    try {
      notify(describeOutcomes(label, await command.mutateAsync({ ids, command: cmd })));
      return true;
    } catch (error) {
      notify(failureOf(label, error), 'error');
      return false;
    }
  };
  return { send, busy: command.isPending };
}

/** The console's own refusal as it says it; anything else means it was not reached. */
function failureOf(label: string, error: unknown): string {
  if (error instanceof TRPCClientError && error.data) return `${label} failed: ${error.message}`;
  const reason = error instanceof Error ? error.message : String(error);
  return `${label} failed: the console did not answer (${reason}). Check the connection and try again.`;
}

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
