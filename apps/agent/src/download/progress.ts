import type { Clock } from '../clock.js';

export interface DownloadProgress {
  /** Bytes of the file on disk so far (including bytes resumed from an earlier attempt). */
  bytes: number;
  /** Full size when the server said it, else undefined. */
  total: number | undefined;
  /** Average rate of this download so far, in bytes per second. */
  bytesPerSecond: number;
  /** Seconds left at that rate; undefined while unknown. */
  etaSeconds: number | undefined;
}

/** Turns byte counts into throttled progress events (at most one per interval, plus the last one). */
export class ProgressMeter {
  private readonly startedAt: number;
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private transferred = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly listener: ((progress: DownloadProgress) => void) | undefined,
  ) {
    this.startedAt = clock.now();
  }

  /** Records `delta` new bytes; emits when the interval has passed or `force` is set. */
  update(bytes: number, total: number | undefined, delta: number, force = false): void {
    this.transferred += delta;
    if (!this.listener) return;
    const now = this.clock.now();
    if (!force && now - this.lastEmitAt < this.intervalMs) return;
    this.lastEmitAt = now;
    const seconds = (now - this.startedAt) / 1000;
    const bytesPerSecond = seconds > 0 ? this.transferred / seconds : 0;
    const etaSeconds =
      total !== undefined && bytesPerSecond > 0 ? Math.max(0, total - bytes) / bytesPerSecond : undefined;
    this.listener({ bytes, total, bytesPerSecond, etaSeconds });
  }
}
