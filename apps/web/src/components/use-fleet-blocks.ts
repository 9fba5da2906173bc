'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';
import type { Notify } from './toast';

/**
 * Blocking a project for the whole fleet and undoing it (the machine page and the fleet settings):
 * the fleet settings are read again after each, and the user told what happened.
 */
export function useFleetBlocks(notify: Notify) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.fleetSettings.get.queryKey() });
  const block = useMutation(
    trpc.fleetSettings.blockProject.mutationOptions({
      onSuccess: ({ outcome }, { name }) => {
        void refresh();
        notify(outcome === 'blocked' ? `${name} blocked for the whole fleet` : `${name} was already blocked`);
      },
      onError: (error) => notify(`Block for the fleet failed: ${error.message}`, 'error'),
    }),
  );
  const unblock = useMutation(
    trpc.fleetSettings.unblockProject.mutationOptions({
      onSuccess: () => {
        void refresh();
        notify('Unblocked for the whole fleet');
      },
      onError: (error) => notify(`Unblock failed: ${error.message}`, 'error'),
    }),
  );
  return { block, unblock };
}
