// The owner's own CPU load: the whole machine's busy CPU less the render's, averaged over the last
// minute, 0–100 of the whole machine. It reads no counters itself: the agent's usage sampling
// (hardware/usage.ts) records the machine's CPU time counters it already reads, with the render's
// CPU time, so nothing is sampled twice.
import type { CpuTimes } from '../../hardware/usage.js';

export interface OwnerCpuSample {
  /** The agent's clock. */
  at: number;
  /** The machine's CPU time since boot, summed over all cores. */
  machine: Pick<CpuTimes, 'busyMs' | 'totalMs'>;
  /**
   * CPU time the agent's renders have used, all of them added up (it only grows); null while a render
   * runs whose CPU time cannot be read (the window is then not usable).
   */
  renderBusyMs: number | null;
}

/** The period the figure covers. */
export const OWNER_CPU_WINDOW_MS = 60_000;
/** Samples kept at most (one every 2 s for a minute is 30). */
const MAX_SAMPLES = 256;

export class OwnerCpuAverage {
  private samples: OwnerCpuSample[] = [];

  record(sample: OwnerCpuSample): void {
    const last = this.samples.at(-1);
    const counterWentBack =
      last &&
      (sample.at < last.at ||
        sample.machine.totalMs < last.machine.totalMs ||
        sample.machine.busyMs < last.machine.busyMs ||
        (sample.renderBusyMs !== null &&
          last.renderBusyMs !== null &&
          sample.renderBusyMs < last.renderBusyMs));
    if (counterWentBack) this.samples = [];
    this.samples.push(sample);
    this.dropOlderThan(sample.at - OWNER_CPU_WINDOW_MS);
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /**
   * The owner's share of the whole machine over the last minute (from the oldest sample at most a
   * minute old to the newest); null before two samples span some CPU time, when the newest is over a
   * minute old, or when the render's CPU time in the window is unknown.
   */
  percent(now: number): number | null {
    this.dropOlderThan(now - OWNER_CPU_WINDOW_MS);
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || first === last) return null;
    if (this.samples.some((sample) => sample.renderBusyMs === null)) return null;
    const totalMs = last.machine.totalMs - first.machine.totalMs;
    if (!(totalMs > 0)) return null;
    const busyMs = last.machine.busyMs - first.machine.busyMs;
    const renderMs = (last.renderBusyMs as number) - (first.renderBusyMs as number);
    const percent = ((busyMs - renderMs) / totalMs) * 100;
    return Number.isFinite(percent) ? Math.min(100, Math.max(0, Math.round(percent * 10) / 10)) : null;
  }

  /** Keeps the newest sample at or before `since` as the window's start, and everything after it. */
  private dropOlderThan(since: number): void {
    while (this.samples.length > 1 && (this.samples[1] as OwnerCpuSample).at <= since) this.samples.shift();
    if (this.samples.length === 1 && (this.samples[0] as OwnerCpuSample).at < since) this.samples = [];
  }
}
