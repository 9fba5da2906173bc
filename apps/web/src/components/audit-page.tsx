'use client';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '../lib/trpc';
import { AuditTable } from './audit-list';
import { LoadingList, StateMessage } from './status';
import { Topbar } from './topbar';
import { useRole } from './use-role';

const PAGE_SIZE = 100;

/** The audit trail, newest first, filtered by machine and by user; for operators and admins. */
export function AuditPage({ initialMachine }: { initialMachine?: string }) {
  const trpc = useTRPC();
  const { role, can } = useRole();
  const [machineId, setMachineId] = useState(initialMachine ?? '');
  const [username, setUsername] = useState('');
  const allowed = can('operator');
  const machines = useQuery({ ...trpc.fleet.list.queryOptions(), enabled: allowed });
  const usernames = useQuery({ ...trpc.audit.usernames.queryOptions(), enabled: allowed });
  const filter = { ...(machineId ? { machineId } : {}), ...(username ? { username } : {}), limit: PAGE_SIZE };
  const entries = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions(filter, {
      getNextPageParam: (last) => (last.length === PAGE_SIZE ? last.at(-1)?.id : undefined),
    }),
    enabled: allowed,
  });
  return (
    <>
      <Topbar />
      <main className="page">
        <div className="head">
          <Link href="/">← Fleet</Link>
          <h1>Audit</h1>
        </div>
        {role && !allowed && (
          <StateMessage title="Operators and admins only">
            <p>The audit trail names console users and their actions. Ask an admin for the operator role.</p>
          </StateMessage>
        )}
        {allowed && (
          <section className="card">
            <div className="audit-filters">
              <select value={machineId} onChange={(e) => setMachineId(e.target.value)} aria-label="Machine">
                <option value="">All machines</option>
                {machineId && !machines.data?.machines.some((m) => m.id === machineId) && (
                  <option value={machineId}>{machineId}</option>
                )}
                {machines.data?.machines.map((machine) => (
                  <option key={machine.id} value={machine.id}>
                    {machine.name}
                  </option>
                ))}
              </select>
              <select value={username} onChange={(e) => setUsername(e.target.value)} aria-label="User">
                <option value="">All users</option>
                {usernames.data?.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
            {entries.isPending && <LoadingList rows={3} />}
            {entries.isError && (
              <p className="error-text" role="alert">
                Could not load the audit trail: {entries.error.message}. Reload the page to try again.
              </p>
            )}
            {entries.data && <AuditTable entries={entries.data.pages.flat()} />}
            {entries.hasNextPage && (
              <div className="actions">
                <button
                  type="button"
                  disabled={entries.isFetchingNextPage}
                  onClick={() => entries.fetchNextPage()}
                >
                  {entries.isFetchingNextPage ? 'Loading…' : 'Older entries'}
                </button>
              </div>
            )}
          </section>
        )}
      </main>
    </>
  );
}
