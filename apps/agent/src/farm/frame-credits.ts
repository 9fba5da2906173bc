// Per-frame credits out of the farm's session totals. The farm reports only the session's credits,
// on each job-request answer, and the agent asks for the next job while the previous frame is still
// uploading: a frame's credits show up one or two requests after it was rendered. What the session
// gained between two reports belongs to the frames delivered in between (shared evenly when there are
// several: the farm does not say how it split them). The one sender validates frames one at a time,
// so credits reported before the agent read a frame's own delivery answer are that frame's.
import { type AgentEvent, MAX_FRAMES_PER_CREDIT_REPORT } from '@flock/protocol';

interface Uncredited {
  jobId: string;
  /** The farm session the frame was delivered to: only that session's totals count its credits. */
  session: string;
}

export class FrameCredits {
  private session: string | undefined;
  /** The session's credits at its last report (a session starts at 0). */
  private reportedTotal = 0;
  /** Credits reported that no delivered frame could take yet. */
  private unassigned = 0;
  private uncredited: Uncredited[] = [];

  constructor(private readonly publish: (event: Extract<AgentEvent, { kind: 'frame-credits' }>) => void) {}

  /** The farm accepted this frame under the session `session`. */
  delivered(jobId: string, session: string): void {
    this.uncredited.push({ jobId, session });
    this.uncredited = this.uncredited.slice(-MAX_FRAMES_PER_CREDIT_REPORT);
    this.share();
  }

  /** A job-request answer of session `session` reported its credits so far. */
  reported(total: number, session: string): void {
    if (session !== this.session) {
      // A new login: frames delivered to the old session are credited where no report will show them.
      this.session = session;
      this.reportedTotal = 0;
      this.unassigned = 0;
      this.uncredited = this.uncredited.filter((frame) => frame.session === session);
    }
    // Fewer credits than before: the farm started the session over, from zero.
    const gained = total >= this.reportedTotal ? total - this.reportedTotal : total;
    this.reportedTotal = total;
    this.unassigned += gained;
    this.share();
  }

  private share(): void {
    const frames = this.uncredited.filter((frame) => frame.session === this.session);
    if (this.unassigned <= 0 || frames.length === 0) return;
    const each = this.unassigned / frames.length;
    this.unassigned = 0;
    this.uncredited = this.uncredited.filter((frame) => frame.session !== this.session);
    this.publish({ kind: 'frame-credits', frames: frames.map(({ jobId }) => ({ jobId, credits: each })) });
  }
}
