'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { formatClockTime, formatCount } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import { describeRolloutStatus, isRolloutRunning, updatesRefetchMs } from '../lib/updates';
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
  cancelled: 'cancelled',
};

/**
 * The agent builds this console keeps (newest first) with how many machines run each; "Update" rolls
 * the newest out (one machine first), "Roll back to" an older one; then what happened, per machine.
 */
export function UpdatesPanel({ notify }: { notify: Notify }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const updates = useQuery(
    trpc.updates.get.queryOptions(undefined, {
      refetchInterval: (query) => updatesRefetchMs(query.state.data?.rollout ?? null),
    }),
  );
  const isAdmin = useRole().can('admin');
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.updates.get.queryKey() });
  const start = useMutation(
    trpc.updates.start.mutationOptions({
      onSuccess: refresh,
      onError: (error) => notify(`Update failed: ${error.message}`, 'error'),
    }),
  );
  const cancel = useMutation(
    trpc.updates.cancel.mutationOptions({
      onSuccess: () => {
        notify('Roll-out cancelled: machines not yet sent the update keep their version');
        return refresh();
      },
      onError: (error) => notify(`Could not cancel: ${error.message}`, 'error'),
    }),
  );
  const { confirm, dialog } = useConfirm();
  const data = updates.data;
  if (!data || data.builds.length === 0) return null;
  const rollout = data.rollout;
  const running = isRolloutRunning(rollout);
  const busy = start.isPending || running;

  const cancelRollout = async () => {
    const confirmed = await confirm({
      title: 'Cancel the roll-out?',
      body: (
        <p>
          Machines not yet sent the update keep the version they run. Machines already updating finish their
          update.
        </p>
      ),
      confirmLabel: 'Cancel the roll-out',
      danger: true,
    });
    if (confirmed) cancel.mutate();
  };

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
      {isAdmin && running && (
        <button type="button" disabled={cancel.isPending} onClick={() => void cancelRollout()}>
          Cancel roll-out
        </button>
      )}
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
        {rollout.cancelledBy ? ` by ${rollout.cancelledBy}` : ''}
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
