'use client';
import type { AgentState } from '@flock/protocol';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { MachineSummary } from '../server/views';
import { liveState } from './topbar';

/**
 * One machine as its page shows it: loaded once, then kept live by its feed (state pushed as it
 * changes; each event re-reads the recent frames and errors).
 */
export function useMachineLive(id: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const initial = useQuery(trpc.machines.get.queryOptions({ id }));
  const history = useQuery(trpc.machines.history.queryOptions({ id }));
  const [live, setLive] = useState<{ summary: MachineSummary; state: AgentState | null } | null>(null);
  const [removed, setRemoved] = useState(false);
  // Counts the frames and errors the feed reported since the page opened: the charts re-read on a change.
  const [eventsSeen, setEventsSeen] = useState(0);
  const subscription = useSubscription(
    trpc.machines.live.subscriptionOptions(
      { id },
      {
        enabled: initial.isSuccess,
        onData: (update) => {
          if (update.kind === 'state') setLive({ summary: update.summary, state: update.state });
          else if (update.kind === 'removed') setRemoved(true);
          else {
            setEventsSeen((count) => count + 1);
            void queryClient.invalidateQueries({ queryKey: trpc.machines.history.queryKey({ id }) });
          }
        },
      },
    ),
  );
  const state = live ? live.state : (initial.data?.state ?? null);
  return {
    initial,
    history,
    removed,
    eventsSeen,
    summary: live?.summary ?? initial.data?.summary,
    state,
    machine: state?.machine ?? initial.data?.machine ?? null,
    feed: liveState(subscription.status, live !== null || initial.isSuccess),
  };
}
