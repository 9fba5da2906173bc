'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { AlertList } from '../server/api/routers/alerts';
import { liveState } from './topbar';

/** Open and recent alerts and the unacknowledged count, pushed again whenever one changes. */
export function useAlertsLive() {
  const trpc = useTRPC();
  const [list, setList] = useState<AlertList | null>(null);
  const subscription = useSubscription(trpc.alerts.live.subscriptionOptions(undefined, { onData: setList }));
  return { list, feed: liveState(subscription.status, list !== null) };
}
