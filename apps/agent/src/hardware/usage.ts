// The live `usage` of the agent's state, for the console's machine card: CPU of the whole machine
// and the memory of what this machine is doing for the farm (see AgentStateSchema.usage). Sampled on
// the injected clock — every 2 s while a job is current, every 10 s otherwise — so tests move time
// instead of sleeping. The render's memory is not sampled here: it comes from the Blender run's own
// RSS watch (src/render), through its `memory` events.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Clock } from '../clock.js';
import type { RenderEvent } from '../render/index.js';
import type { AgentStateStore } from '../state/index.js';

/** CPU time counters since boot, summed over all cores. */
export interface CpuTimes {
  busyMs: number;
  totalMs: number;
  cores: number;
}

export interface UsageSources {
  cpuTimes(): CpuTimes;
  /** The agent process's own resident memory, bytes. */
  ownRssBytes(): number;
}

/** USER_HZ, the unit of /proc/stat (100 on every Linux architecture Node runs on). */
const PROC_STAT_TICK_MS = 10;

/**
 * The `cpu<N>` lines of /proc/stat (what os.cpus() reads, without the cpuinfo and sysfs reads it
 * adds for models and speeds: a sample then costs a tenth); undefined where there is none.
 */
export function procStatCpuTimes(text: string): CpuTimes | undefined {
  let busyMs = 0;
  let totalMs = 0;
  let cores = 0;
  for (const line of text.split('\n')) {
    if (!/^cpu\d+ /.test(line)) continue;
    const [user = 0, nice = 0, sys = 0, idle = 0, _iowait = 0, irq = 0] = line
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const busy = user + nice + sys + irq;
    busyMs += busy * PROC_STAT_TICK_MS;
    totalMs += (busy + idle) * PROC_STAT_TICK_MS;
    cores += 1;
  }
  return cores > 0 && Number.isFinite(totalMs) ? { busyMs, totalMs, cores } : undefined;
}

function readProcStat(): CpuTimes | undefined {
  try {
    return procStatCpuTimes(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

export const systemUsageSources: UsageSources = {
  cpuTimes: () => {
    const fromProc = process.platform === 'linux' ? readProcStat() : undefined;
    if (fromProc) return fromProc;
    const list = cpus();
    let busyMs = 0;
    let totalMs = 0;
    for (const { times } of list) {
      const busy = times.user + times.nice + times.sys + times.irq;
      busyMs += busy;
      totalMs += busy + times.idle;
    }
    return { busyMs, totalMs, cores: list.length };
  },
  ownRssBytes: () => process.memoryUsage.rss(),
};

export interface UsageMonitorOptions {
  store: AgentStateStore;
  clock: Clock;
  sources?: UsageSources;
  /** Sampling period while a job is current (default 2 s) and otherwise (default 10 s). */
  activeMs?: number;
  idleMs?: number;
  /** Every reading of the machine's CPU time counters (the owner rules' CPU load is computed from them). */
  onCpuTimes?: (times: CpuTimes) => void;
}

/**
 * A CPU window shorter than this per core is too coarse for the kernel's 10 ms ticks (and with a test
 * clock, samples can be microseconds apart): the last figure stays until enough time has passed.
 */
const MIN_CPU_WINDOW_MS_PER_CORE = 200;

export class UsageMonitor {
  private readonly sources: UsageSources;
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;
  private baseline: CpuTimes | undefined;
  private cpuPercent = 0;
  private renderRssKiB: number | undefined;
  private busy = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: UsageMonitorOptions) {
    this.sources = options.sources ?? systemUsageSources;
  }

  /** Events of the current Blender run: its process tree's RSS is the memory figure while it renders. */
  onRenderEvent(event: RenderEvent): void {
    if (event.type === 'started') this.renderRssKiB = undefined;
    else if (event.type === 'memory') this.renderRssKiB = event.rssKiB;
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  /** Takes one sample now and publishes it when it differs from the state's. */
  sample(): void {
    const usage = { cpuPercent: this.sampleCpu(), memoryBytes: Math.round(this.memoryBytes()) };
    const { cpuPercent, memoryBytes } = this.options.store.state.usage;
    if (usage.cpuPercent !== cpuPercent || usage.memoryBytes !== memoryBytes) {
      this.options.store.update({ usage });
    }
  }

  private sampleCpu(): number {
    const now = this.sources.cpuTimes();
    this.options.onCpuTimes?.(now);
    const base = this.baseline;
    if (!base || now.totalMs < base.totalMs) {
      this.baseline = now;
      return this.cpuPercent;
    }
    const totalMs = now.totalMs - base.totalMs;
    if (totalMs < MIN_CPU_WINDOW_MS_PER_CORE * Math.max(1, now.cores)) return this.cpuPercent;
    const busyMs = Math.min(totalMs, Math.max(0, now.busyMs - base.busyMs));
    this.cpuPercent = Math.round((busyMs / totalMs) * 100 * now.cores);
    this.baseline = now;
    return this.cpuPercent;
  }

  private memoryBytes(): number {
    const rendering = this.options.store.state.job?.phase === 'render';
    if (rendering && this.renderRssKiB !== undefined) return this.renderRssKiB * 1024;
    return this.sources.ownRssBytes();
  }

  private async loop(): Promise<void> {
    const { store, clock } = this.options;
    // A job starting or ending switches the period and is shown at once, not after an idle period.
    const onChange = () => {
      if ((store.state.job !== null) !== this.busy) this.wake?.();
    };
    store.on('change', onChange);
    try {
      while (!this.stopper.signal.aborted) {
        this.busy = store.state.job !== null;
        this.sample();
        const woken = new AbortController();
        this.wake = () => woken.abort();
        const period = this.busy ? (this.options.activeMs ?? 2_000) : (this.options.idleMs ?? 10_000);
        await clock
          .sleep(period, AbortSignal.any([this.stopper.signal, woken.signal]))
          .catch(() => undefined);
      }
    } finally {
      store.off('change', onChange);
    }
  }
}
