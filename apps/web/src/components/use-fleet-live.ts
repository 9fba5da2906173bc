'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { FleetUpdate } from '../server/api/routers/fleet';
import type { FleetTotals, MachineSummary } from '../server/views';
import { liveState } from './topbar';

export interface FleetView {
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

/** Every machine and the fleet's totals, live: everything once, then only the machines that changed. */
export function useFleetLive() {
  const trpc = useTRPC();
  const [view, setView] = useState<FleetView | null>(null);
  const subscription = useSubscription(
    trpc.fleet.live.subscriptionOptions(undefined, { onData: (update) => setView((v) => apply(v, update)) }),
  );
  return { view, subscription, feed: liveState(subscription.status, view !== null) };
}
