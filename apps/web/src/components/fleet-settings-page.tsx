'use client';
import type { FleetSettings } from '@flock/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { formatAgo, formatClockTime } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import { FarmAccountCard } from './farm-account-card';
import { FarmServerCard } from './farm-server-card';
import { FleetSettingCard } from './fleet-setting-card';
import { RoleGate } from './role-gate';
import { LoadingList } from './status';
import { type Notify, Toast, useToast } from './toast';
import { Topbar } from './topbar';
import { useFleetBlocks } from './use-fleet-blocks';

/** Settings for every machine at once; each change reaches every agent over its link right away. */
export function FleetSettingsPage() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.fleetSettings.get.queryOptions());
  const status = useQuery(trpc.auth.status.queryOptions());
  const [toast, notify] = useToast();
  return (
    <>
      <Topbar />
      <main className="page">
        <div className="head">
          <Link href="/">← Fleet</Link>
          <h1>Fleet settings</h1>
        </div>
        {settings.isPending && <LoadingList rows={2} />}
        {settings.isError && (
          <p className="error-text" role="alert">
            Could not load the fleet settings: {settings.error.message}. Reload the page to try again.
          </p>
        )}
        {settings.data && (
          <div className="grid-2">
            <ClientVersionCard
              current={settings.data.clientVersion}
              canEdit={status.data?.user?.role === 'admin'}
              notify={notify}
            />
            <RoleGate minimum="operator">
              <FleetBlocksCard blocked={settings.data.blockedProjects} notify={notify} />
            </RoleGate>
            <FarmServerCard
              current={settings.data.farmServer}
              canEdit={status.data?.user?.role === 'admin'}
              notify={notify}
            />
            <FarmAccountCard isAdmin={status.data?.user?.role === 'admin'} notify={notify} />
          </div>
        )}
      </main>
      <Toast message={toast} />
    </>
  );
}

function ClientVersionCard({
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
    trpc.fleetSettings.setClientVersion.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.fleetSettings.get.queryKey(), saved);
        notify(
          saved.clientVersion
            ? `Every machine now logs in as client ${saved.clientVersion}`
            : 'Every machine logs in with its own client version again',
        );
      },
    }),
  );
  return (
    <FleetSettingCard
      title="Client version"
      testId="client-version"
      current={current}
      unset="each machine’s own (its --client-version, else the agent’s version)"
      input={{ placeholder: '7.24086.0', maxLength: 50 }}
      clearLabel="Use each machine’s own"
      badValue="Not a version: use letters, digits and . + _ - only, like 7.24086.0."
      canEdit={canEdit}
      save={{ ...save, mutate: (clientVersion) => save.mutate({ clientVersion }) }}
    >
      The version every machine sends when it logs in to the farm. A farm that wants a newer client refuses
      older ones (“client too old”): enter the official SheepIt client’s current version, shown on the SheepIt
      website’s download page and printed by the official client when it starts (e.g. 7.24086.0). Machines
      waiting on a refused login try again at once; the others use it at their next login.
    </FleetSettingCard>
  );
}

function FleetBlocksCard({ blocked, notify }: { blocked: FleetSettings['blockedProjects']; notify: Notify }) {
  const { unblock } = useFleetBlocks(notify);
  return (
    <section className="card" aria-label="Projects blocked for the fleet">
      <h2>Projects blocked for the whole fleet</h2>
      {blocked.length === 0 ? (
        <p className="muted">
          None. “Block for the whole fleet” on a machine’s page keeps a project away from every machine.
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Project</th>
                <th>Blocked</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {blocked.map((project) => (
                <tr key={project.archiveMd5} data-testid="fleet-block">
                  <td>{project.name}</td>
                  <td title={formatClockTime(project.blockedAt)}>{formatAgo(project.blockedAt)}</td>
                  <td className="cell-action">
                    <button
                      type="button"
                      disabled={unblock.isPending}
                      onClick={() => unblock.mutate({ archiveMd5: project.archiveMd5 })}
                    >
                      Unblock
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
