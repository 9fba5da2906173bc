// Samples the RSS of Blender's process tree while it runs: on a wall-time period, and (throttled)
// after output lines, as the official client checks after every line. A sampler that runs a command
// (macOS, Windows) is never asked twice at once and never more often than it can sensibly answer.
import { createTreeMemorySampler, type SystemCommands, type TreeMemorySampler } from './memory-sampler.js';

export interface MemoryWatchOptions {
  rootPid: number;
  platform: NodeJS.Platform;
  commands?: SystemCommands;
  /** Sampling period, wall-time ms (raised to what the platform's sampler can do). */
  pollMs: number;
  /** The least time between two samples triggered by output lines. */
  lineCheckMs: number;
  /** Aborted when Blender has ended: sampling stops and the sampler is closed. */
  signal: AbortSignal;
  onRss(rssKiB: number): void;
  /** Called once when this platform turned out unable to measure, with why. */
  onUnavailable(reason: string): void;
}

export class MemoryWatch {
  private readonly sampler: TreeMemorySampler;
  private lastCheck = Number.NEGATIVE_INFINITY;
  private inFlight = false;
  private reported = false;

  constructor(private readonly options: MemoryWatchOptions) {
    this.sampler = createTreeMemorySampler(options.rootPid, options.platform, options.commands);
  }

  start(): void {
    const { signal } = this.options;
    this.check();
    const period = Math.max(this.options.pollMs, this.sampler.minPeriodMs);
    const timer = setInterval(() => this.check(), period);
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(timer);
        this.sampler.close();
      },
      { once: true },
    );
  }

  /** After an output line: a sample unless one was taken (or started) recently. */
  onOutputLine(): void {
    const least = Math.max(this.options.lineCheckMs, this.sampler.minPeriodMs);
    if (performance.now() - this.lastCheck >= least) this.check();
  }

  private check(): void {
    if (this.inFlight || this.options.signal.aborted || this.reported) return;
    this.inFlight = true;
    this.lastCheck = performance.now();
    void this.sampler
      .sample()
      .then((rss) => {
        if (this.options.signal.aborted) return;
        if (rss !== undefined) this.options.onRss(rss);
        else if (this.sampler.unavailable !== undefined) {
          this.reported = true;
          this.options.onUnavailable(this.sampler.unavailable);
        }
      })
      .finally(() => {
        this.inFlight = false;
      });
  }
}
