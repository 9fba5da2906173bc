// How the farm loop waits: for a time, or until the user (or the upload queue) changes something —
// including a change made while the loop was busy elsewhere (a stop that came during a request).
import type { Clock } from '../clock.js';
import type { Controls } from '../controls/index.js';
import type { FrameUploads } from './ports.js';

/** How a timed wait ended: its time came, or the user stopped, paused or asked to retry now. */
export type WaitEnd = 'elapsed' | 'cut';

export class LoopWaits {
  /** The controls revision the loop has taken into account. */
  private seenRevision = -1;

  constructor(private readonly options: { clock: Clock; controls: Controls; uploads: FrameUploads }) {}

  /** The loop has looked at the controls as they are now. */
  markSeen(): void {
    this.seenRevision = this.options.controls.revision;
  }

  /** Sleeps until `ms` passed (null: forever) or something changed since `markSeen`. */
  async forChange(ms: number | null): Promise<void> {
    const { controls, uploads, clock } = this.options;
    const wake = new AbortController();
    const onChange = () => wake.abort();
    controls.on('change', onChange);
    const stopUploads = uploads.onChange(onChange);
    if (controls.revision !== this.seenRevision) wake.abort();
    try {
      if (wake.signal.aborted) return;
      if (ms === null)
        await new Promise((resolve) => wake.signal.addEventListener('abort', resolve, { once: true }));
      else await clock.sleep(ms, wake.signal).catch(() => undefined);
    } finally {
      controls.off('change', onChange);
      stopUploads();
    }
  }

  /**
   * Waits until `until` (epoch ms). Only a stop, a pause or "retry now" (a resume too) cuts it short;
   * other changes (limits) do not end the wait.
   */
  async until(until: number): Promise<WaitEnd> {
    const { clock, controls } = this.options;
    const retries = controls.retries;
    for (;;) {
      if (controls.stopRequested || controls.paused || controls.retries !== retries) return 'cut';
      if (clock.now() >= until) return 'elapsed';
      this.markSeen();
      await this.forChange(until - clock.now());
    }
  }

  /** Sleeps `ms`, waking early on any change; the caller checks what changed. */
  async sleep(ms: number): Promise<void> {
    this.markSeen();
    await this.forChange(ms);
  }
}
