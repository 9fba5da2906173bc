'use client';
import { useIsMutating, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect } from 'react';
import { formatClockTime } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import type { AuditEntry } from '../server/db/audit-repo';
import { useRole } from './use-role';

/** What each audited procedure is called on the page; an unknown one shows its path. */
const ACTION_LABELS: Record<string, string> = {
  'fleet.command': 'Command',
  'machines.rename': 'Renamed machine',
  'machines.remove': 'Removed machine',
  'machines.addCode': 'Created a pairing code',
  'fleetSettings.setClientVersion': 'Set the client version',
  'fleetSettings.blockProject': 'Blocked a project for the fleet',
  'fleetSettings.unblockProject': 'Unblocked a project for the fleet',
  'farmAccount.setFleet': 'Set the fleet’s farm account',
  'farmAccount.clearFleet': 'Cleared the fleet’s farm account',
  'farmAccount.setMachine': 'Set a machine’s farm account',
  'farmAccount.clearMachine': 'Cleared a machine’s farm account',
  'users.add': 'Added a user',
  'users.setRole': 'Changed a role',
  'users.remove': 'Removed a user',
};

/** A parameter's value as read: strings bare, anything else as JSON. */
const valueText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** "pause now", "set-limits limits {…}": a command in words; other parameters as `key: value`. */
function describeParams(entry: AuditEntry): string {
  const { command, ...rest } = entry.params as { command?: { type: string } & Record<string, unknown> };
  const parts: string[] = [];
  if (command) {
    const { type, ...args } = command;
    parts.push(
      [
        type,
        ...Object.entries(args).map(([key, value]) =>
          key === 'when' ? valueText(value) : `${key} ${valueText(value)}`,
        ),
      ].join(' '),
    );
  }
  for (const [key, value] of Object.entries(rest)) parts.push(`${key}: ${valueText(value)}`);
  return parts.join(', ');
}

function Machines({ entry }: { entry: AuditEntry }) {
  if (entry.machines.length === 0) return <span className="muted">—</span>;
  const shown = entry.machines.slice(0, 5);
  return (
    <>
      {shown.map((machine, index) => (
        <span key={machine.id}>
          {index > 0 && ', '}
          <Link href={`/machines/${encodeURIComponent(machine.id)}`}>{machine.name ?? machine.id}</Link>
        </span>
      ))}
      {entry.machines.length > shown.length && ` and ${entry.machines.length - shown.length} more`}
    </>
  );
}

/** Audit entries as a table: when (local time), who, what, on which machines, and how it went. */
export function AuditTable({
  entries,
  showMachines = true,
}: {
  entries: AuditEntry[];
  showMachines?: boolean;
}) {
  if (entries.length === 0) return <p className="muted">Nothing recorded yet.</p>;
  return (
    <div className="table-wrap">
      <table className="audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            {showMachines && <th>Machines</th>}
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} data-testid="audit-row">
              <td title={new Date(entry.at).toLocaleString()}>{formatClockTime(entry.at)}</td>
              <td data-testid="audit-who">{entry.username}</td>
              <td>
                {ACTION_LABELS[entry.action] ?? entry.action}
                <div className="params">{describeParams(entry)}</div>
              </td>
              {showMachines && (
                <td data-testid="audit-machines">
                  <Machines entry={entry} />
                </td>
              )}
              <td className={entry.outcome === 'failed' ? 'error-text' : undefined}>
                {entry.outcome === 'ok' ? 'Done' : 'Failed'}
                {entry.detail && <div className="muted">{entry.detail}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The machine page's last few audit entries, for operators and admins (viewers do not see the trail). */
export function MachineAuditCard({ machineId }: { machineId: string }) {
  const trpc = useTRPC();
  const allowed = useRole().can('operator');
  const entries = useQuery({
    ...trpc.audit.list.queryOptions({ machineId, limit: 10 }),
    enabled: allowed,
    refetchInterval: 10_000,
  });
  // Every change is audited before its answer: once this page's calls have settled, their entries exist.
  const mutating = useIsMutating();
  const { refetch } = entries;
  useEffect(() => {
    if (mutating === 0 && allowed) void refetch();
  }, [mutating, allowed, refetch]);
  if (!allowed) return null;
  return (
    <section className="card" aria-label="Audit">
      <h2>
        Who did what here <Link href={`/audit?machine=${encodeURIComponent(machineId)}`}>(all)</Link>
      </h2>
      {entries.isError && (
        <p className="error-text">Could not load the audit trail: {entries.error.message}</p>
      )}
      {entries.data && <AuditTable entries={entries.data} showMachines={false} />}
    </section>
  );
}
