// When the loop may ask the farm again: never faster than the floor while jobs end without a frame
// (whatever the farm offers), and a back-off that starts small and grows while the farm is in
// trouble, so a blip costs a blip and a long outage costs the official client's waits.
import {
  BAD_ANSWER_BACKOFF,
  type GrowingBackoff,
  growingBackoffDelay,
  JOB_REQUEST_FLOOR_MS,
  SERVER_DOWN_BACKOFF,
} from '@flock/protocol';

export type FarmTroubleKind = 'unreachable' | 'bad-answer';

const POLICIES: Record<FarmTroubleKind, GrowingBackoff> = {
  unreachable: SERVER_DOWN_BACKOFF,
  'bad-answer': BAD_ANSWER_BACKOFF,
};

export class RequestPacing {
  private lastRequestAt: number | undefined;
  /** Jobs in a row that ended without a frame (failed, refused, blocked). */
  private framelessJobs = 0;
  private trouble: { since: number; retries: number } | undefined;

  constructor(private readonly random: () => number) {}

  /** A job request goes out now. */
  requested(now: number): void {
    this.lastRequestAt = now;
  }

  /** The farm answered a request properly: the trouble, if any, is over. */
  answered(): void {
    this.trouble = undefined;
  }

  /** The job the last request brought ended; `delivered`: with a frame for the upload queue. */
  jobEnded(delivered: boolean): void {
    this.framelessJobs = delivered ? 0 : this.framelessJobs + 1;
  }

  /** "Retry now" during the floor: the next request goes at once (the count of frameless jobs stays). */
  waive(): void {
    this.lastRequestAt = undefined;
  }

  /** The earliest time of the next job request (the floor after frameless jobs), or 0: no floor. */
  earliestNextRequest(): number {
    if (this.framelessJobs === 0 || this.lastRequestAt === undefined) return 0;
    const steps = JOB_REQUEST_FLOOR_MS;
    const floor = steps[Math.min(this.framelessJobs - 1, steps.length - 1)] ?? 0;
    return this.lastRequestAt + floor;
  }

  /** The farm failed a request (or a login): since when it is in trouble, and how long to wait now. */
  failed(kind: FarmTroubleKind, now: number): { since: number; waitMs: number } {
    const trouble = this.trouble ?? { since: now, retries: 0 };
    this.trouble = { since: trouble.since, retries: trouble.retries + 1 };
    return {
      since: trouble.since,
      waitMs: growingBackoffDelay(POLICIES[kind], trouble.retries, this.random),
    };
  }
}
