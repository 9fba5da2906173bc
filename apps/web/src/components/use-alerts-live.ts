'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { createContext, createElement, type ReactNode, useContext, useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { AlertList } from '../server/api/routers/alerts';
import { type LiveState, liveState } from './topbar';

export interface AlertsLive {
  list: AlertList | null;
  feed: LiveState;
}

const SharedAlertsLive = createContext<AlertsLive | null>(null);

/**
 * Open and recent alerts and the unacknowledged count, pushed again whenever one changes: the feed of
 * an enclosing AlertsLiveProvider when there is one (the alerts page and its header's bell share it),
 * else a feed of its own.
 */
export function useAlertsLive(): AlertsLive {
  const shared = useContext(SharedAlertsLive);
  const own = useAlertsFeed(shared === null);
  return shared ?? own;
}

/** One alerts feed for everything inside it. */
export function AlertsLiveProvider({ children }: { children: ReactNode }) {
  const live = useAlertsFeed(true);
  return createElement(SharedAlertsLive.Provider, { value: live }, children);
}

function useAlertsFeed(enabled: boolean): AlertsLive {
  const trpc = useTRPC();
  const [list, setList] = useState<AlertList | null>(null);
  const subscription = useSubscription(
    trpc.alerts.live.subscriptionOptions(undefined, { enabled, onData: setList }),
  );
  return { list, feed: liveState(subscription.status, list !== null) };
}
