import type { NotRenderingReason } from '@flock/protocol';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { TimelineJob } from '../../db/timeline-repo';
import { router, viewerProcedure } from '../trpc';

/** The longest window one request may ask for. */
export const TIMELINE_MAX_WINDOW_MS = 48 * 60 * 60_000;
/** At most this many jobs and this many idle spans per answer (more: `truncated`). */
export const TIMELINE_MAX_JOBS = 2_000;
export const TIMELINE_MAX_SPANS = 5_000;
/** A frame delivered this long after the window's end may still have been rendered inside it. */
const LATE_DELIVERY_MS = 24 * 60 * 60_000;

const epochMs = z.number().int().nonnegative();

const TimelineInput = z
  .object({ machineId: z.string().min(1).max(100), from: epochMs, to: epochMs })
  .refine((input) => input.to > input.from, { message: '`to` must be after `from`' })
  .refine((input) => input.to - input.from <= TIMELINE_MAX_WINDOW_MS, {
    message: 'at most 48 hours at once',
  });

export interface TimelineSpan {
  startedAt: number;
  /** Null while it goes on. */
  endedAt: number | null;
  status: string;
  reason: NotRenderingReason | null;
}

export interface MachineTimeline {
  from: number;
  to: number;
  /** The console's time of the answer: where spans still going on end for now. */
  now: number;
  jobs: TimelineJob[];
  idle: TimelineSpan[];
  /** More jobs or spans than one answer carries: the oldest are shown. */
  truncated: boolean;
}

export const timelineRouter = router({
  /** A machine's jobs with their phases and its idle spans in [from, to] (at most 48 h). */
  machine: viewerProcedure.input(TimelineInput).query(async ({ ctx, input }): Promise<MachineTimeline> => {
    if (!ctx.core.fleet.has(input.machineId))
      throw new TRPCError({ code: 'NOT_FOUND', message: 'No such machine.' });
    const { machineId, from, to } = input;
    const [jobs, spans] = await Promise.all([
      ctx.core.timeline.jobsBetween(machineId, from, to, LATE_DELIVERY_MS, TIMELINE_MAX_JOBS + 1),
      ctx.core.timeline.spansBetween(machineId, from, to, TIMELINE_MAX_SPANS + 1),
    ]);
    const inWindow = jobs.filter((job) => (job.phases[0]?.startedAt ?? job.endedAt) < to);
    return {
      from,
      to,
      now: ctx.core.now(),
      jobs: inWindow.slice(0, TIMELINE_MAX_JOBS),
      idle: spans
        .slice(0, TIMELINE_MAX_SPANS)
        .map(({ startedAt, endedAt, status, reason }) => ({ startedAt, endedAt, status, reason })),
      truncated: inWindow.length > TIMELINE_MAX_JOBS || spans.length > TIMELINE_MAX_SPANS,
    };
  }),
});
