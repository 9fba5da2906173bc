// A minimum transfer rate for every farm call and download. A read timeout only measures the gap
// between two bytes (60 s in the official client): a farm that sends one byte every few seconds
// passes it and holds a download or an answer for ever. The floor measures throughput instead.
import type { Clock } from '../clock.js';

export interface RateFloorOptions {
  /** The transfer must move at least this many bytes per second over every window. Default 1 KiB/s. */
  minBytesPerSecond?: number;
  /** The window the rate is measured over. Default 60 s. */
  windowMs?: number;
}

const DEFAULT_MIN_BYTES_PER_SECOND = 1024;
const DEFAULT_WINDOW_MS = 60_000;

/** The transfer stayed below the floor for a whole window. */
export class TooSlowError extends Error {
  override readonly name = 'TooSlowError';
}

/**
 * Watches one transfer on the injected clock. Call `add` for the bytes that moved; when a whole
 * window passes with fewer than floor × window bytes, `onTooSlow` is called once (the caller aborts
 * its request) and `tripped` holds the reason.
 */
export class RateFloor {
  private moved = 0;
  private readonly stopper = new AbortController();
  private reason: TooSlowError | undefined;
  private readonly minBytesPerSecond: number;
  private readonly windowMs: number;

  constructor(
    private readonly clock: Clock,
    options: RateFloorOptions | undefined,
    private readonly onTooSlow: (error: TooSlowError) => void,
  ) {
    this.minBytesPerSecond = options?.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
    this.windowMs = options?.windowMs ?? DEFAULT_WINDOW_MS;
  }

  get tripped(): TooSlowError | undefined {
    return this.reason;
  }

  /**
   * Starts measuring. `uncountedBytes` (a request body that goes out unseen) delays the first
   * window by the time they take at the floor rate.
   */
  start(uncountedBytes = 0): void {
    const graceMs = Math.ceil((uncountedBytes / this.minBytesPerSecond) * 1000);
    void this.watch(graceMs).catch(() => undefined); // a stopped sleep rejects: the transfer ended
  }

  add(bytes: number): void {
    this.moved += bytes;
  }

  stop(): void {
    this.stopper.abort();
  }

  private async watch(graceMs: number): Promise<void> {
    if (graceMs > 0) await this.clock.sleep(graceMs, this.stopper.signal);
    this.moved = 0;
    const needed = (this.minBytesPerSecond * this.windowMs) / 1000;
    for (;;) {
      await this.clock.sleep(this.windowMs, this.stopper.signal);
      if (this.moved < needed) {
        this.reason = new TooSlowError(
          `slower than ${this.minBytesPerSecond} bytes/s for ${Math.round(this.windowMs / 1000)} s (${this.moved} bytes in the last window)`,
        );
        this.onTooSlow(this.reason);
        return;
      }
      this.moved = 0;
    }
  }
}
