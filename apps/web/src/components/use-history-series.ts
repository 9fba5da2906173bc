'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { viewerTzOffsetMinutes } from '../lib/history-chart';
import { useTRPC } from '../lib/trpc';
import type { HistoryRange } from '../server/history/series';

/** The charts re-read their series at most this often while frames keep arriving. */
export const LIVE_REFETCH_MS = 10_000;

/**
 * Runs `action` when `signal` changes, at most once per `ms`: at once after a quiet spell, else once
 * at the end of the spell (so the last change is never left out).
 */
function useThrottledOnChange(signal: unknown, ms: number, action: () => void): void {
  const latest = useRef(action);
  latest.current = action;
  const seen = useRef(signal);
  const lastRun = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (Object.is(signal, seen.current)) return;
    seen.current = signal;
    if (timer.current) return;
    const run = () => {
      timer.current = null;
      lastRun.current = Date.now();
      latest.current();
    };
    const wait = lastRun.current + ms - Date.now();
    if (wait <= 0) run();
    else timer.current = setTimeout(run, wait);
  }, [signal, ms]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
}

/**
 * The history of the fleet (no `machineId`) or of one machine over `range`, in the viewer's time
 * zone; read again (throttled) whenever `liveSignal` changes, i.e. the live feed reported a frame.
 */
export function useHistorySeries(range: HistoryRange, machineId: string | undefined, liveSignal: unknown) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.history.series.queryOptions(
      { range, tzOffsetMinutes: viewerTzOffsetMinutes(), ...(machineId ? { machineId } : {}) },
      // Another range keeps the chart it replaces on screen until its own data is there.
      { placeholderData: keepPreviousData },
    ),
  );
  useThrottledOnChange(liveSignal, LIVE_REFETCH_MS, () => void query.refetch());
  return query;
}
