import { z } from 'zod';
import type { AgentEvent } from './messages';
import { type JobPhase, JobPhaseSchema } from './state';

// The agent's own record of a job's phases (download, extract, prepare, render, upload) with their
// times on the agent's clock: what the console's per-frame timeline draws.

const epochMs = z.number().int().nonnegative();

/** A job goes through each phase at most once, in this order: one span per phase at most. */
export const MAX_JOB_PHASE_SPANS = JobPhaseSchema.options.length;

const phaseRank = (phase: JobPhase): number => JobPhaseSchema.options.indexOf(phase);

export const JobPhaseSpanSchema = z
  .object({ phase: JobPhaseSchema, startedAt: epochMs, endedAt: epochMs })
  .refine((span) => span.endedAt >= span.startedAt, { message: 'a phase cannot end before it starts' });
export type JobPhaseSpan = z.infer<typeof JobPhaseSpanSchema>;

/** Whether each span follows the previous one: a later phase, starting once the previous ended. */
function inOrder(spans: readonly JobPhaseSpan[]): boolean {
  return spans.every((span, index) => {
    const previous = spans[index - 1];
    return (
      !previous || (phaseRank(span.phase) > phaseRank(previous.phase) && span.startedAt >= previous.endedAt)
    );
  });
}

export const JobPhaseSpansSchema = z
  .array(JobPhaseSpanSchema)
  .min(1)
  .max(MAX_JOB_PHASE_SPANS)
  .refine(inOrder, { message: 'phases must be in order (download to upload), each once, not overlapping' });

/**
 * The phases end no later than `at` (the time the event about the job was sent). Not part of the
 * event's schema: a clock set back between the two must cost the phases, never the event.
 */
export function phasesEndBy(spans: readonly JobPhaseSpan[] | undefined, at: number): boolean {
  return !spans || spans.every((span) => span.endedAt <= at);
}

/** The event without its phases when they end after `at`, when it was sent; else the event itself. */
export function withoutLatePhases(event: AgentEvent, at: number): AgentEvent {
  if (!('phases' in event) || phasesEndBy(event.phases, at)) return event;
  const { phases: _late, ...rest } = event;
  return rest as AgentEvent;
}
