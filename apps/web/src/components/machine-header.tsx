'use client';
import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { formatAgo } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import { type MachineSummary, shownStatus } from '../server/views';
import { useConfirm } from './confirm-dialog';
import { RoleGate } from './role-gate';
import { StatusBadge } from './status';
import type { Notify } from './toast';

/** The machine's name and status, renaming and removing it, and whether it is offline. */
export function MachineHeader({
  summary,
  disabled,
  notify,
}: {
  summary: MachineSummary;
  /** The console's live feed is down: no renaming or removing meanwhile. */
  disabled: boolean;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const remove = useMutation(
    trpc.machines.remove.mutationOptions({
      onSuccess: () => location.assign('/'),
      onError: (error) => notify(`Remove failed: ${error.message}`, 'error'),
    }),
  );
  const rename = useMutation(
    trpc.machines.rename.mutationOptions({
      onError: (error) => notify(`Rename failed: ${error.message}`, 'error'),
    }),
  );
  const { id, name } = summary;
  const { confirm, dialog } = useConfirm();
  const askToRemove = async () => {
    const confirmed = await confirm({
      title: `Remove ${name}?`,
      body: (
        <p>
          Its agent is disconnected at once and its secret revoked. The agent keeps rendering on its own; to
          see it here again, pair it with a code from "Add machine".
        </p>
      ),
      confirmLabel: `Remove ${name}`,
      danger: true,
    });
    if (confirmed) remove.mutate({ id });
  };
  return (
    <>
      <div className="head">
        <Link href="/">← Fleet</Link>
        <h1 data-testid="machine-name">{name}</h1>
        <StatusBadge status={shownStatus(summary)} />
        <span className="spacer" />
        <div className="head-actions">
          <RoleGate minimum="operator">
            <button
              type="button"
              disabled={disabled || rename.isPending}
              onClick={() => {
                const next = prompt('New name for this machine', name)?.trim();
                if (next && next !== name) rename.mutate({ id, name: next });
              }}
            >
              Rename
            </button>
          </RoleGate>
          <RoleGate minimum="admin">
            <button
              type="button"
              className="danger"
              disabled={disabled || remove.isPending}
              onClick={() => void askToRemove()}
            >
              Remove machine
            </button>
          </RoleGate>
        </div>
      </div>
      {dialog}
      {!summary.online && (
        <div className="banner">
          This machine is offline (last seen {formatAgo(summary.lastSeenAt)}). Changes are applied when it
          reconnects.
        </div>
      )}
    </>
  );
}
