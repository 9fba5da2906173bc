import type { MachineFacts } from '@flock/protocol';

/** Reads what owner rules look at on this machine (the platform readers are in `facts.ts`). */
export interface FactsReader {
  /** The facts now; `watched` are the program names the rules look for (none: no process listing). */
  read(watched: readonly string[]): Promise<MachineFacts>;
  close?(): void;
}

/** Facts a test sets by hand, read with the time of the test's clock. */
export interface FakeFactsReader extends FactsReader {
  set(partial: Partial<MachineFacts>): void;
  /** How many reads were made (no rules: none). */
  readonly reads: number;
}

export function fakeFactsReader(now: () => number, initial: Partial<MachineFacts> = {}): FakeFactsReader {
  let facts: Omit<MachineFacts, 'at'> = {
    session: 'headless',
    userIdleSeconds: null,
    onBattery: null,
    cpuCelsius: null,
    gpuCelsius: null,
    ownerCpuPercent: null,
    runningWatched: [],
    timeZone: 'UTC',
    ...initial,
  };
  let reads = 0;
  return {
    async read() {
      reads++;
      return { ...facts, at: now() };
    },
    set(partial) {
      facts = { ...facts, ...partial };
    },
    get reads() {
      return reads;
    },
  };
}
