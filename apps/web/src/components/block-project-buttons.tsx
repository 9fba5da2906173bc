'use client';
import type { CurrentJob } from '@flock/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';

/**
 * "Block this project" for the machine rendering it, or for the whole fleet: every machine stops
 * rendering it (reported to the farm as the official client reports a block) and never takes it again.
 */
export function BlockProjectButtons({
  job,
  disabled,
  onBlockHere,
  onDone,
}: {
  job: CurrentJob | null;
  disabled: boolean;
  onBlockHere: () => void;
  onDone: (message: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const blockForFleet = useMutation(
    trpc.fleetSettings.blockProject.mutationOptions({
      onSuccess: ({ outcome }, { name }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.fleetSettings.get.queryKey() });
        onDone(outcome === 'blocked' ? `${name} blocked for the whole fleet` : `${name} was already blocked`);
      },
      onError: (error) => onDone(`Block for the fleet failed: ${error.message}`),
    }),
  );
  const archiveMd5 = job?.archiveMd5;
  return (
    <>
      <button type="button" disabled={disabled || !job} onClick={onBlockHere}>
        Block this project
      </button>
      <button
        type="button"
        disabled={disabled || !job || !archiveMd5 || blockForFleet.isPending}
        title={job && !archiveMd5 ? 'This agent is too old to name the project: update it first.' : undefined}
        onClick={() => {
          if (!job || !archiveMd5) return;
          if (confirm(`Block ${job.project} on every machine? Machines rendering it stop at once.`))
            blockForFleet.mutate({ archiveMd5, name: job.project });
        }}
      >
        Block for the whole fleet
      </button>
    </>
  );
}
