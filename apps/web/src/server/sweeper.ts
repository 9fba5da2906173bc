import type { ConsoleRepo } from './db/repo';
import { log } from './log';

export const SWEEP_INTERVAL_MS = 5 * 60_000;

export interface SweepResult {
  sessions: number;
  pairingCodes: number;
}

/**
 * Deletes rows that are already refused: expired console sessions and used or expired pairing codes.
 * Runs once at start, then every `intervalMs`; "expired" is judged by the console's clock (`now`).
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly now: () => number,
    private readonly intervalMs = SWEEP_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress, so the database can be closed after it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async sweep(): Promise<SweepResult> {
    const now = this.now();
    const result = {
      sessions: await this.repo.deleteExpiredSessions(now),
      pairingCodes: await this.repo.deleteSpentPairingCodes(now),
    };
    if (result.sessions + result.pairingCodes > 0) {
      log(
        'info',
        `sweeper: deleted ${result.sessions} expired session(s), ${result.pairingCodes} spent pairing code(s)`,
      );
    }
    return result;
  }

  private tick(): void {
    // A failed sweep (a locked database, say) is logged and retried at the next tick, never thrown.
    this.running = this.running
      .then(() => this.sweep())
      .catch((error: Error) => log('error', `sweeper: ${error.message}`));
  }
}
