'use client';
import { MAX_FARM_SERVER_CHARS } from '@flock/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';
import { FleetSettingCard } from './fleet-setting-card';
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
  const save = useMutation(
    trpc.fleetSettings.setFarmServer.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.fleetSettings.get.queryKey(), saved);
        notify(
          `Machines without a farm server of their own now render for ${saved.farmServer ?? PUBLIC_FARM}`,
        );
      },
    }),
  );
  return (
    <FleetSettingCard
      title="Farm server"
      testId="farm-server"
      current={current}
      unset={PUBLIC_FARM}
      input={{
        type: 'url',
        placeholder: 'https://client.sheepit-renderfarm.com',
        maxLength: MAX_FARM_SERVER_CHARS,
      }}
      clearLabel={`Use ${PUBLIC_FARM}`}
      badValue="Not a farm server: enter an address starting with http:// or https://, without a user name or password."
      canEdit={canEdit}
      save={{ ...save, mutate: (farmServer) => save.mutate({ farmServer }) }}
    >
      The farm machines log in to, for a private or sandbox farm. By default, {PUBLIC_FARM}. A machine started
      with its own --server keeps it. Machines use a new farm server at their next login, after the frame they
      are rendering.
    </FleetSettingCard>
  );
}
