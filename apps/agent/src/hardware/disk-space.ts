// The cache's disk in the agent's state, which the console's "disk nearly full" alert watches. Free
// space changes with every download and frame, so a new figure is published only when it moved enough
// to matter: 1% of the disk, or 2% of what was free (a nearly full disk is followed closely).
import type { Clock } from '../clock.js';
import { type DiskSpace, diskSpaceIn } from '../disk.js';
import type { AgentStateStore } from '../state/index.js';

export const DISK_SPACE_PERIOD_MS = 60_000;

export interface DiskSpaceMonitorOptions {
  store: AgentStateStore;
  clock: Clock;
  /** The cache dir: its file system is the one measured. */
  dir: string;
  read?: (dir: string) => Promise<DiskSpace>;
  warn: (message: string) => void;
}

export function movedEnough(before: DiskSpace | null | undefined, now: DiskSpace): boolean {
  if (!before || before.totalBytes !== now.totalBytes) return true;
  const moved = Math.abs(now.freeBytes - before.freeBytes);
  return moved >= now.totalBytes * 0.01 || moved >= before.freeBytes * 0.02;
}

export class DiskSpaceMonitor {
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;
  private warned = false;

  constructor(private readonly options: DiskSpaceMonitorOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private async sample(): Promise<void> {
    const { store, dir, read = diskSpaceIn } = this.options;
    try {
      const disk = await read(dir);
      this.warned = false;
      if (movedEnough(store.state.disk, disk)) store.update({ disk });
    } catch (error) {
      if (!this.warned)
        this.options.warn(
          `cannot read the free space of ${dir}: ${error instanceof Error ? error.message : String(error)}`,
        );
      this.warned = true;
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      await this.sample();
      await this.options.clock.sleep(DISK_SPACE_PERIOD_MS, this.stopper.signal).catch(() => undefined);
    }
  }
}
