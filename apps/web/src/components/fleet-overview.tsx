'use client';
import type { ControlCommand } from '@flock/protocol';
import { useMutation } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useCallback, useMemo, useState } from 'react';
import { formatCredits, STATUS_GROUP_LABEL } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import type { FleetUpdate } from '../server/api/routers/fleet';
import {
  type FleetTotals,
  inStatusFilter,
  type MachineSummary,
  STATUS_GROUPS,
  type StatusFilter,
  type StatusGroup,
} from '../server/views';
import { AddMachineDialog } from './add-machine-dialog';
import { describeOutcomes } from './command-results';
import { LimitsForm } from './limits-form';
import { MachineCard } from './machine-card';
import { LoadingList, StateMessage } from './status';
import { liveState, Topbar } from './topbar';
import { useToast } from './use-toast';

interface FleetView {
  machines: Map<string, MachineSummary>;
  totals: FleetTotals;
}

function apply(view: FleetView | null, update: FleetUpdate): FleetView {
  if (update.kind === 'full' || !view) {
    return { machines: new Map(update.machines.map((m) => [m.id, m])), totals: update.totals };
  }
  const machines = new Map(view.machines);
  for (const machine of update.machines) machines.set(machine.id, machine);
  for (const id of update.removed) machines.delete(id);
  return { machines, totals: update.totals };
}

function matches(machine: MachineSummary, search: string): boolean {
  if (!search) return true;
  const haystack = [
    machine.name,
    machine.job?.project,
    machine.reason?.message,
    machine.hardware?.cpu,
    ...(machine.hardware?.gpus ?? []),
  ]
    .join(' ')
    .toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

/** The groups with a tile of their own; offline machines show in the Online tile (online / all). */
const TILE_GROUPS: StatusGroup[] = ['working', 'paused', 'error'];

function Totals({ totals }: { totals: FleetTotals }) {
  const items: [string, string | number][] = [
    ['Online', `${totals.online} / ${totals.machines}`],
    ...TILE_GROUPS.map((group): [string, number] => [STATUS_GROUP_LABEL[group], totals[group]]),
    ['Frames today', totals.framesToday],
    ['Credits today', formatCredits(totals.creditsToday)],
  ];
  return (
    <section className="totals" aria-label="Fleet totals">
      {items.map(([label, value]) => (
        <div className="total" key={label} data-testid={`total-${label.toLowerCase().replace(/\s+/g, '-')}`}>
          <div className="value">{value}</div>
          <div className="label">{label}</div>
        </div>
      ))}
    </section>
  );
}

export function FleetOverview() {
  const trpc = useTRPC();
  const [view, setView] = useState<FleetView | null>(null);
  const subscription = useSubscription(
    trpc.fleet.live.subscriptionOptions(undefined, { onData: (update) => setView((v) => apply(v, update)) }),
  );
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<StatusFilter>('all');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [adding, setAdding] = useState(false);
  const [editingLimits, setEditingLimits] = useState(false);
  const [toast, showToast] = useToast();
  const command = useMutation(trpc.fleet.command.mutationOptions());

  const visible = useMemo(
    () =>
      [...(view?.machines.values() ?? [])]
        .filter((m) => inStatusFilter(m, filter) && matches(m, search))
        .sort((a, b) => a.name.localeCompare(b.name)),
    [view, filter, search],
  );
  const chosen = [...selected].filter((id) => view?.machines.has(id));

  const send = async (label: string, cmd: ControlCommand) => {
    const outcomes = await command.mutateAsync({ ids: chosen, command: cmd });
    showToast(describeOutcomes(label, outcomes));
  };
  const toggle = useCallback(
    (id: string, on: boolean) =>
      setSelected((s) => {
        const next = new Set(s);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      }),
    [],
  );

  const live = liveState(subscription.status, view !== null);
  return (
    <>
      <Topbar live={live}>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          Add machine
        </button>
      </Topbar>
      <main className="page">
        {subscription.status === 'error' && view && (
          <div className="banner error" role="alert">
            Live updates stopped ({subscription.error?.message}).{' '}
            <button type="button" onClick={() => subscription.reset()}>
              Retry
            </button>
          </div>
        )}
        {live === 'reconnecting' && view && (
          <div className="banner">Connection lost, reconnecting… Figures may be out of date.</div>
        )}
        {view && <Totals totals={view.totals} />}
        {!view && subscription.status === 'error' && (
          <StateMessage title="Cannot reach the console" tone="error">
            <p>{subscription.error?.message}</p>
            <button type="button" onClick={() => subscription.reset()}>
              Try again
            </button>
          </StateMessage>
        )}
        {!view && subscription.status !== 'error' && <LoadingList />}
        {view && view.machines.size === 0 && (
          <StateMessage title="No machines yet">
            <p>Pair the first one: it takes one command on that machine.</p>
            <button type="button" className="primary" onClick={() => setAdding(true)}>
              Add machine
            </button>
          </StateMessage>
        )}
        {view && view.machines.size > 0 && (
          <>
            <div className="toolbar">
              <input
                type="search"
                placeholder="Search machines, projects, GPUs…"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                aria-label="Search"
              />
              <select
                value={filter}
                onChange={(e) => setFilter(e.target.value as StatusFilter)}
                aria-label="Filter by status"
              >
                <option value="all">All machines</option>
                {STATUS_GROUPS.map((group) => (
                  <option key={group} value={group}>
                    {STATUS_GROUP_LABEL[group]}
                  </option>
                ))}
              </select>
              <button
                type="button"
                onClick={() =>
                  setSelected(
                    chosen.length === visible.length ? new Set() : new Set(visible.map((m) => m.id)),
                  )
                }
              >
                {chosen.length === visible.length && visible.length > 0 ? 'Select none' : 'Select all'}
              </button>
              <Link href="/settings" className="button-link">
                Fleet settings
              </Link>
            </div>
            {chosen.length > 0 && (
              <div className="bulkbar" role="toolbar" aria-label="Actions on selected machines">
                <strong>{chosen.length} selected</strong>
                <button
                  type="button"
                  disabled={command.isPending}
                  onClick={() => send('Pause after frame', { type: 'pause', when: 'after-frame' })}
                >
                  Pause after frame
                </button>
                <button
                  type="button"
                  disabled={command.isPending}
                  onClick={() => send('Pause now', { type: 'pause', when: 'now' })}
                >
                  Pause now
                </button>
                <button
                  type="button"
                  disabled={command.isPending}
                  onClick={() => send('Resume', { type: 'resume' })}
                >
                  Resume
                </button>
                <button
                  type="button"
                  disabled={command.isPending}
                  title="Ends a wait (a back-off, a refused login) and asks the farm again now"
                  onClick={() => send('Retry now', { type: 'retry-now' })}
                >
                  Retry now
                </button>
                <button
                  type="button"
                  disabled={command.isPending}
                  onClick={() => send('Stop after frame', { type: 'stop', when: 'after-frame' })}
                >
                  Stop
                </button>
                <button type="button" onClick={() => setEditingLimits((v) => !v)}>
                  Limits…
                </button>
              </div>
            )}
            {editingLimits && chosen.length > 0 && (
              <div className="card" style={{ marginBottom: 12 }}>
                <h2>Limits for {chosen.length} machines (only filled fields change)</h2>
                <LimitsForm
                  limits={null}
                  busy={command.isPending}
                  onCancel={() => setEditingLimits(false)}
                  onApply={async (limits) => {
                    await send('Limits', { type: 'set-limits', limits });
                    setEditingLimits(false);
                  }}
                />
              </div>
            )}
            {visible.length === 0 ? (
              <StateMessage title="Nothing matches">
                <p>No machine matches this search and filter.</p>
              </StateMessage>
            ) : (
              <section className="machines" aria-label="Machines">
                {visible.map((machine) => (
                  <MachineCard
                    key={machine.id}
                    machine={machine}
                    selected={selected.has(machine.id)}
                    onSelect={toggle}
                  />
                ))}
              </section>
            )}
          </>
        )}
      </main>
      <AddMachineDialog open={adding} onClose={() => setAdding(false)} />
      {command.isError && <div className="toast error-text">{command.error.message}</div>}
      {toast && (
        <div className="toast" role="status">
          {toast}
        </div>
      )}
    </>
  );
}
