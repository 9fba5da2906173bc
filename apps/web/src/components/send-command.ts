'use client';
import type { ControlCommand } from '@flock/protocol';
import { useMutation } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { describeOutcomes } from '../lib/command-outcomes';
import { useTRPC } from '../lib/trpc';
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
