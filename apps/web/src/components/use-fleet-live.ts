'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useRef, useState } from 'react';
import { applyPending, type FleetView, foldUpdate, type PendingUpdates } from '../lib/fleet-live';
import { useTRPC } from '../lib/trpc';
import type { FleetUpdate } from '../server/api/routers/fleet';
import { liveState } from './topbar';

export type { FleetView };

/**
 * Every machine and the fleet's totals, live: everything once, then only the machines that changed.
 * Updates are applied once per animation frame, all that arrived since the last one together, so the
 * page renders at most once a frame and never mid-frame (a frame that comes after the page is gone sets
 * nothing: React ignores it).
 */
export function useFleetLive() {
  const trpc = useTRPC();
  const [view, setView] = useState<FleetView | null>(null);
  const pending = useRef<PendingUpdates | null>(null);
  const frame = useRef<number | null>(null);
  const onData = useCallback((update: FleetUpdate) => {
    pending.current = foldUpdate(pending.current, update);
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      const updates = pending.current;
      pending.current = null;
      if (updates) setView((current) => applyPending(current, updates));
    });
  }, []);
  const subscription = useSubscription(trpc.fleet.live.subscriptionOptions(undefined, { onData }));
  return { view, subscription, feed: liveState(subscription.status, view !== null) };
}
