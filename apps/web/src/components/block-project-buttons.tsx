'use client';
import type { CurrentJob } from '@flock/protocol';
import type { Notify } from './toast';
import { useFleetBlocks } from './use-fleet-blocks';

/**
 * "Block this project" for the machine rendering it, or for the whole fleet: every machine stops
 * rendering it (reported to the farm as the official client reports a block) and never takes it again.
 */
export function BlockProjectButtons({
  job,
  disabled,
  onBlockHere,
  notify,
}: {
  job: CurrentJob | null;
  disabled: boolean;
  onBlockHere: () => void;
  notify: Notify;
}) {
  const { block: blockForFleet } = useFleetBlocks(notify);
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
