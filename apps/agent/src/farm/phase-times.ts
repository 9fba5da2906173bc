// When each phase of a job began and ended, on the agent's clock: sent with the job's event so the
// console can draw the machine's per-frame timeline. A job goes through the phases in their order
// (download, extract, prepare, render, upload) and never back: a later report of an earlier phase
// (Blender's output going back to "preparing" after the first tile) stays in the later one.
import { type JobPhase, JobPhaseSchema, type JobPhaseSpan, JobPhaseSpansSchema } from '@flock/protocol';
import type { Clock } from '../clock.js';

const rank = (phase: JobPhase): number => JobPhaseSchema.options.indexOf(phase);

export class PhaseTimes {
  private readonly closed: JobPhaseSpan[] = [];
  private current: { phase: JobPhase; startedAt: number };

  constructor(
    private readonly clock: Clock,
    first: JobPhase,
    startedAt = clock.now(),
  ) {
    this.current = { phase: first, startedAt };
  }

  /** The job entered `phase`: the current span ends now unless `phase` is not a later one. */
  enter(phase: JobPhase): void {
    if (rank(phase) <= rank(this.current.phase)) return;
    const now = this.now();
    this.closed.push({ ...this.current, endedAt: now });
    this.current = { phase, startedAt: now };
  }

  /** The spans so far, the current one ending now. */
  spans(): JobPhaseSpan[] {
    return [...this.closed, { ...this.current, endedAt: this.now() }];
  }

  /** The clock, never behind the last time read: a clock set back does not reorder the spans. */
  private now(): number {
    return Math.max(this.clock.now(), this.current.startedAt);
  }

  /** The spans before the current phase (e.g. up to the upload, which ends later, in the queue). */
  finished(): JobPhaseSpan[] {
    return [...this.closed];
  }
}

/**
 * A delivered frame's phases: those it was stored with (read back from disk, so checked again) and
 * its upload, from the moment the frame entered the queue (the end of the last phase) until the farm
 * took it. It includes the time the frame waited behind others and between retries. Undefined when
 * the frame was stored without phases (by an older agent) or with ones that do not check.
 */
export function withUpload(stored: unknown, deliveredAt: number): JobPhaseSpan[] | undefined {
  if (!Array.isArray(stored) || stored.length === 0) return undefined;
  const last = stored.at(-1) as Partial<JobPhaseSpan> | undefined;
  const startedAt = typeof last?.endedAt === 'number' ? last.endedAt : deliveredAt;
  const spans = [...stored, { phase: 'upload', startedAt, endedAt: deliveredAt }];
  const parsed = JobPhaseSpansSchema.safeParse(spans);
  return parsed.success ? parsed.data : undefined;
}
