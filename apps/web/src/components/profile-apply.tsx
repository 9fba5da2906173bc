'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { Confirm } from './confirm-dialog';
import { type MachinePreview, ProfilePreview } from './profile-preview';
import type { ProfileView } from './profiles-page';
import type { Notify } from './toast';

interface Progress {
  total: number;
  done: number;
  results: { name: string; status: string; message: string | null }[];
}

const STATUS_WORDS: Record<string, string> = {
  applied: 'applied',
  unchanged: 'already had it',
  queued: 'offline: applied when it reconnects',
  sent: 'sent, not answered yet',
  refused: 'refused',
};

/** Apply → the preview per machine → confirm → each machine in turn, counted as it is done. */
export function ProfileApply({
  profile,
  confirm,
  notify,
}: {
  profile: ProfileView;
  confirm: Confirm;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const send = useMutation(trpc.profiles.send.mutationOptions());
  const [progress, setProgress] = useState<Progress | null>(null);
  const [loading, setLoading] = useState(false);
  const start = async () => {
    setLoading(true);
    let preview: MachinePreview[];
    try {
      preview = await queryClient.fetchQuery({
        ...trpc.profiles.preview.queryOptions({ profileId: profile.id }),
        staleTime: 0,
      });
    } catch (error) {
      notify(`No preview: ${(error as Error).message}`, 'error');
      return;
    } finally {
      setLoading(false);
    }
    const ok = await confirm({
      title: `Apply “${profile.name}”?`,
      body: <ProfilePreview machines={preview} />,
      confirmLabel: `Apply to ${preview.length} machine${preview.length === 1 ? '' : 's'}`,
    });
    if (!ok || preview.length === 0) return;
    const next: Progress = { total: preview.length, done: 0, results: [] };
    setProgress(next);
    for (const machine of preview) {
      try {
        const [outcome] = await send.mutateAsync({ profileId: profile.id, machineIds: [machine.machineId] });
        next.results.push({
          name: machine.name,
          status: outcome?.status ?? 'refused',
          message: outcome?.message ?? null,
        });
      } catch (error) {
        next.results.push({ name: machine.name, status: 'refused', message: (error as Error).message });
      }
      next.done += 1;
      setProgress({ ...next, results: [...next.results] });
    }
  };
  const applied =
    progress?.results.filter((r) => r.status === 'applied' || r.status === 'unchanged').length ?? 0;
  return (
    <>
      <button
        type="button"
        className="primary"
        onClick={start}
        disabled={loading || (progress !== null && progress.done < progress.total)}
      >
        {loading ? 'Preparing preview…' : 'Apply…'}
      </button>
      {progress && (
        <div className="apply-progress" role="status" data-testid="apply-progress">
          <progress max={progress.total} value={progress.done} />{' '}
          {progress.done < progress.total
            ? `Applying: ${progress.done} of ${progress.total}`
            : `${applied} of ${progress.total} applied`}
          <ul>
            {progress.results.map((result) => (
              <li key={result.name} className={result.status === 'refused' ? 'error-text' : undefined}>
                {result.name}: {STATUS_WORDS[result.status] ?? result.status}
                {result.message && result.status === 'refused' ? ` (${result.message})` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
