'use client';
import type { LimitName } from '@flock/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import Link from 'next/link';
import { useState } from 'react';
import { formatClockTime } from '../lib/format';
import type { ProfileInput } from '../lib/profiles';
import { LIMIT_LABEL, limitText, ruleSentence } from '../lib/rule-text';
import { useTRPC } from '../lib/trpc';
import type { AppRouter } from '../server/api/router';
import { useConfirm } from './confirm-dialog';
import { ProfileApply } from './profile-apply';
import { ProfileAssign } from './profile-assign';
import { ProfileForm } from './profile-form';
import { RoleGate } from './role-gate';
import { LoadingList } from './status';
import { type Notify, Toast, useToast } from './toast';
import { Topbar } from './topbar';

export type ProfileView = inferRouterOutputs<AppRouter>['profiles']['list'][number];

const EMPTY: ProfileInput = { name: '', limits: {}, rules: [] };

/** Named limits and rules, who follows them, and applying them with a preview first. */
export function ProfilesPage() {
  const trpc = useTRPC();
  const list = useQuery(trpc.profiles.list.queryOptions());
  const [editing, setEditing] = useState<ProfileView | 'new' | null>(null);
  const [toast, notify] = useToast();
  const { confirm, dialog } = useConfirm();
  return (
    <>
      <Topbar />
      <main className="page">
        <div className="head">
          <Link href="/">← Fleet</Link>
          <h1>Profiles</h1>
          <RoleGate minimum="operator">
            <button
              type="button"
              className="primary"
              onClick={() => setEditing('new')}
              disabled={editing !== null}
            >
              New profile
            </button>
          </RoleGate>
        </div>
        <p className="muted">
          A profile is a named set of limits and rules for machines or tags. A machine's own profile beats its
          tags'; between two tags the most recently assigned wins. Changes reach machines only when you apply
          them, after a preview.
        </p>
        {editing && <ProfileEditor editing={editing} onDone={() => setEditing(null)} notify={notify} />}
        {list.isPending && <LoadingList rows={2} />}
        {list.isError && (
          <p className="error-text" role="alert">
            Could not load the profiles: {list.error.message}. Reload the page to try again.
          </p>
        )}
        {list.data?.length === 0 && !editing && (
          <p>No profile yet. An operator can create one with “New profile”.</p>
        )}
        {list.data?.map((profile) => (
          <ProfileCard
            key={profile.id}
            profile={profile}
            onEdit={() => setEditing(profile)}
            confirm={confirm}
            notify={notify}
          />
        ))}
      </main>
      {dialog}
      <Toast message={toast} />
    </>
  );
}

function ProfileEditor({
  editing,
  onDone,
  notify,
}: {
  editing: ProfileView | 'new';
  onDone: () => void;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = {
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: trpc.profiles.list.queryKey() });
      notify('Profile saved. Apply it to send it to its machines.');
      onDone();
    },
    onError: (error: { message: string }) => notify(`Not saved: ${error.message}`, 'error'),
  };
  const create = useMutation(trpc.profiles.create.mutationOptions(options));
  const update = useMutation(trpc.profiles.update.mutationOptions(options));
  const initial =
    editing === 'new' ? EMPTY : { name: editing.name, limits: editing.limits, rules: editing.rules };
  return (
    <section className="card">
      <h2>{editing === 'new' ? 'New profile' : `Edit “${editing.name}”`}</h2>
      <RoleGate minimum="operator">
        <ProfileForm
          initial={initial}
          busy={create.isPending || update.isPending}
          disabled={false}
          onCancel={onDone}
          onSave={(profile) =>
            editing === 'new' ? create.mutate(profile) : update.mutate({ id: editing.id, ...profile })
          }
        />
      </RoleGate>
    </section>
  );
}

function ProfileCard({
  profile,
  onEdit,
  confirm,
  notify,
}: {
  profile: ProfileView;
  onEdit: () => void;
  confirm: ReturnType<typeof useConfirm>['confirm'];
  notify: Notify;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [assigning, setAssigning] = useState(false);
  const remove = useMutation(
    trpc.profiles.remove.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.profiles.list.queryKey() }),
      onError: (error) => notify(`Not removed: ${error.message}`, 'error'),
    }),
  );
  const limits = Object.entries(profile.limits) as [LimitName, unknown][];
  return (
    <section className="card profile-card" aria-label={`Profile ${profile.name}`}>
      <div className="card-head">
        <h2>{profile.name}</h2>
        <span className="muted">
          changed by {profile.updatedBy} at {formatClockTime(profile.updatedAt)}
        </span>
      </div>
      <p>
        <strong>Limits:</strong>{' '}
        {limits.length === 0
          ? 'none (each machine keeps its own)'
          : limits.map(([k, v]) => `${LIMIT_LABEL[k]} ${limitText(k, v)}`).join(', ')}
      </p>
      <div>
        <strong>Rules:</strong>
        {profile.rules.length === 0 ? (
          ' none'
        ) : (
          <ul>
            {profile.rules.map((rule) => (
              <li key={rule.name}>
                “{rule.name}”: {ruleSentence(rule)}
              </li>
            ))}
          </ul>
        )}
      </div>
      <p>
        <strong>Assigned to:</strong>{' '}
        {profile.machines.length + profile.tags.length === 0
          ? 'nothing yet'
          : [
              profile.machines.length > 0
                ? `${profile.machines.length} machine${profile.machines.length === 1 ? '' : 's'}`
                : null,
              ...profile.tags.map((tag) => `tag “${tag}”`),
            ]
              .filter(Boolean)
              .join(', ')}
        {' · '}followed by {profile.followers.length} machine{profile.followers.length === 1 ? '' : 's'}
      </p>
      {assigning && <ProfileAssign profile={profile} onDone={() => setAssigning(false)} notify={notify} />}
      <RoleGate minimum="operator">
        <div className="actions">
          <button type="button" onClick={onEdit}>
            Edit
          </button>
          <button type="button" onClick={() => setAssigning(true)} disabled={assigning}>
            Assign…
          </button>
          <ProfileApply profile={profile} confirm={confirm} notify={notify} />
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={async () => {
              const ok = await confirm({
                title: `Remove “${profile.name}”?`,
                body: 'Machines keep what was applied to them; they follow no profile from this one any more.',
                confirmLabel: 'Remove profile',
                danger: true,
              });
              if (ok) remove.mutate({ id: profile.id });
            }}
          >
            Remove
          </button>
        </div>
      </RoleGate>
    </section>
  );
}
