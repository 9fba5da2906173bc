'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { ProfileView } from './profiles-page';
import { RoleGate } from './role-gate';
import type { Notify } from './toast';

/** Which machines and tags follow the profile: ticked ones do, unticked ones stop; nothing is sent. */
export function ProfileAssign({
  profile,
  onDone,
  notify,
}: {
  profile: ProfileView;
  onDone: () => void;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const fleet = useQuery(trpc.fleet.list.queryOptions());
  const [machines, setMachines] = useState(new Set(profile.machines));
  const [tags, setTags] = useState(new Set(profile.tags));
  const assign = useMutation(trpc.profiles.assign.mutationOptions());
  const allTags = [...new Set(fleet.data?.machines.flatMap((m) => m.tags) ?? [])].sort();
  const toggle = (set: Set<string>, value: string) => {
    const next = new Set(set);
    if (!next.delete(value)) next.add(value);
    return next;
  };
  const save = async () => {
    try {
      const droppedMachines = profile.machines.filter((id) => !machines.has(id));
      const droppedTags = profile.tags.filter((tag) => !tags.has(tag));
      if (droppedMachines.length + droppedTags.length > 0)
        await assign.mutateAsync({ profileId: null, machineIds: droppedMachines, tags: droppedTags });
      await assign.mutateAsync({ profileId: profile.id, machineIds: [...machines], tags: [...tags] });
      await queryClient.invalidateQueries({ queryKey: trpc.profiles.list.queryKey() });
      notify('Assigned. Apply the profile to send it.');
      onDone();
    } catch (error) {
      notify(`Not assigned: ${(error as Error).message}`, 'error');
    }
  };
  return (
    <RoleGate minimum="operator">
      <section className="assign" aria-label={`Assign ${profile.name}`}>
        <h3>Machines</h3>
        <div className="checks">
          {fleet.data?.machines.map((machine) => (
            <label key={machine.id}>
              <input
                type="checkbox"
                checked={machines.has(machine.id)}
                onChange={() => setMachines((s) => toggle(s, machine.id))}
              />
              {machine.name}
            </label>
          ))}
        </div>
        <h3>Tags</h3>
        {allTags.length === 0 && (
          <p className="muted">No machine has a tag yet (tag them on the overview).</p>
        )}
        <div className="checks">
          {allTags.map((tag) => (
            <label key={tag}>
              <input
                type="checkbox"
                checked={tags.has(tag)}
                onChange={() => setTags((s) => toggle(s, tag))}
              />
              {tag}
            </label>
          ))}
        </div>
        <div className="actions">
          <button type="button" onClick={onDone}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={save} disabled={assign.isPending}>
            Save assignment
          </button>
        </div>
      </section>
    </RoleGate>
  );
}
