'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { formatClockTime, formatCount } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import { describeRolloutStatus } from '../lib/updates';
import type { Rollout } from '../server/updates/rollout';
import { useConfirm } from './confirm-dialog';
import type { Notify } from './toast';
import { useRole } from './use-role';

type Build = { version: string; sha256: string; versionId: string; addedAt: number; machines: number };

const PHASE: Record<Rollout['phase'], string> = {
  canary: 'trying it on one machine first',
  fleet: 'updating the other machines',
  done: 'finished',
  halted: 'stopped: the first machine did not keep the new version',
};

/**
 * The agent builds this console keeps (newest first) with how many machines run each; "Update" rolls
 * the newest out (one machine first), "Roll back to" an older one; then what happened, per machine.
 */
export function UpdatesPanel({ notify }: { notify: Notify }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const updates = useQuery(trpc.updates.get.queryOptions(undefined, { refetchInterval: 2000 }));
  const isAdmin = useRole().can('admin');
  const start = useMutation(
    trpc.updates.start.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.updates.get.queryKey() }),
      onError: (error) => notify(`Update failed: ${error.message}`, 'error'),
    }),
  );
  const { confirm, dialog } = useConfirm();
  const data = updates.data;
  if (!data || data.builds.length === 0) return null;
  const rollout = data.rollout;
  const busy =
    start.isPending || (rollout !== null && rollout.phase !== 'done' && rollout.phase !== 'halted');

  const rollOut = async (build: Build, newest: boolean) => {
    // Counted now, not from the last poll: machines may have joined or moved since.
    const fresh = (await updates.refetch()).data ?? data;
    const running = fresh.builds.find((candidate) => candidate.sha256 === build.sha256)?.machines ?? 0;
    const count = formatCount(fresh.machines - running, 'machine');
    const confirmed = await confirm({
      title: newest ? `Update ${count} to ${build.version}?` : `Roll ${count} back to ${build.version}?`,
      body: (
        <>
          <p>
            Build {build.versionId} goes to one machine first; to the others once that one is back on it. Each
            finishes its current frame and upload, then restarts into it.
          </p>
          <p className="muted">
            A machine whose new version has not reached the console within a minute goes back to the version
            it ran by itself, and the roll-out stops there.
          </p>
        </>
      ),
      confirmLabel: newest ? `Update to ${build.version}` : `Roll back to ${build.version}`,
    });
    if (confirmed) start.mutate({ sha256: build.sha256 });
  };

  return (
    <section className="card" aria-label="Updates">
      <h2>Updates</h2>
      <ul className="plain builds">
        {data.builds.map((build, index) => (
          <li key={build.sha256}>
            <span>
              <strong>{build.version}</strong>{' '}
              <span className="muted">build {build.versionId.slice(-12)}</span> ·{' '}
              {index === 0 ? 'newest' : 'older'}, added {formatClockTime(build.addedAt)} · on{' '}
              {formatCount(build.machines, 'machine')}
            </span>
            {isAdmin && build.machines < data.machines && (
              <button type="button" disabled={busy} onClick={() => void rollOut(build, index === 0)}>
                {index === 0 ? 'Update' : `Roll back to ${build.version}`}
              </button>
            )}
          </li>
        ))}
      </ul>
      {!isAdmin && <p className="muted">Only an admin can update the agents.</p>}
      {rollout && <RolloutReport rollout={rollout} />}
      {dialog}
    </section>
  );
}

function RolloutReport({ rollout }: { rollout: Rollout }) {
  const { build } = rollout;
  return (
    <section aria-label="Last roll-out">
      <p>
        {rollout.build.version} (build {build.versionId.slice(-12)}), started by {rollout.startedBy} at{' '}
        {formatClockTime(rollout.startedAt)}: {PHASE[rollout.phase]}
        {rollout.finishedAt ? ` at ${formatClockTime(rollout.finishedAt)}` : ''}.
      </p>
      <ul className="plain rollout">
        {rollout.machines.map((machine) => (
          <li key={machine.id} data-kind={machine.status.kind}>
            <strong>{machine.name}</strong>
            {machine.id === rollout.canaryId ? ' (first)' : ''}
            <span className="muted"> from {machine.from ?? 'unknown'}</span>:{' '}
            {describeRolloutStatus(machine.status, build.versionId)}
          </li>
        ))}
      </ul>
    </section>
  );
}
