'use client';
import { MAX_FARM_SERVER_CHARS } from '@flock/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { Notify } from './toast';

const PUBLIC_FARM = 'the public SheepIt farm';

/** The farm machines without a server of their own (`--server`) log in to; admins change it. */
export function FarmServerCard({
  current,
  canEdit,
  notify,
}: {
  current: string | null;
  canEdit: boolean;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [value, setValue] = useState(current ?? '');
  const save = useMutation(
    trpc.fleetSettings.setFarmServer.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.fleetSettings.get.queryKey(), saved);
        setValue(saved.farmServer ?? '');
        notify(
          `Machines without a farm server of their own now render for ${saved.farmServer ?? PUBLIC_FARM}`,
        );
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ farmServer: value.trim() === '' ? null : value.trim() });
  };
  return (
    <section className="card" aria-label="Farm server">
      <h2>Farm server</h2>
      <p className="muted">
        The farm machines log in to, for a private or sandbox farm. By default, {PUBLIC_FARM}. A machine
        started with its own --server keeps it. Machines use a new farm server at their next login, after the
        frame they are rendering.
      </p>
      <p data-testid="farm-server">
        Now: <strong>{current ?? PUBLIC_FARM}</strong>
      </p>
      {canEdit ? (
        <form className="form" onSubmit={submit}>
          <label>
            Farm server
            <input
              type="url"
              value={value}
              onChange={(event) => setValue(event.target.value)}
              placeholder="https://client.sheepit-renderfarm.com"
              maxLength={MAX_FARM_SERVER_CHARS}
              autoComplete="off"
              autoCapitalize="none"
            />
          </label>
          <div className="actions start">
            <button type="submit" className="primary" disabled={save.isPending}>
              Save for the fleet
            </button>
            {current && (
              <button
                type="button"
                disabled={save.isPending}
                onClick={() => save.mutate({ farmServer: null })}
              >
                Use {PUBLIC_FARM}
              </button>
            )}
          </div>
          {save.isError && (
            <p className="error-text" role="alert">
              {save.error.data?.code === 'BAD_REQUEST'
                ? 'Not a farm server: enter an address starting with http:// or https://, without a user name or password.'
                : save.error.message}
            </p>
          )}
        </form>
      ) : (
        <p className="muted">Only an admin can change it.</p>
      )}
    </section>
  );
}
