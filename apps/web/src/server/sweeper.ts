import type { AuditTrail } from './audit/trail';
import { type ConsoleRepo, THUMBNAILS_KEPT_PER_MACHINE } from './db/repo';
import type { HistoryService, HistorySweep } from './history/service';
import { log } from './log';

export const SWEEP_INTERVAL_MS = 5 * 60_000;

export interface SweepResult {
  sessions: number;
  pairingCodes: number;
  thumbnails: number;
  /** Audit entries past the retention (1 year, 100 000 rows). */
  auditEntries: number;
  /** Raw frames and events past 30 days, hourly roll-ups past their retention. */
  history?: HistorySweep;
}

/**
 * Deletes rows that are already refused: expired console sessions and used or expired pairing codes;
 * audit entries past their retention; and thumbnails beyond each machine's newest few (kept so as frames arrive; databases from before
 * that limit are trimmed at the first sweep).
 * Also stores connected time and applies the history's retention (history/service.ts).
 * Runs once at start, then every `intervalMs`; "expired" is judged by the console's clock (`now`).
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly now: () => number,
    private readonly intervalMs = SWEEP_INTERVAL_MS,
    private readonly audit?: AuditTrail,
    private readonly history?: HistoryService,
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
      thumbnails: await this.repo.trimThumbnails(THUMBNAILS_KEPT_PER_MACHINE),
      auditEntries: (await this.audit?.trim(now)) ?? 0,
      ...(this.history ? { history: await this.history.sweep() } : {}),
    };
    if (result.sessions + result.pairingCodes + result.thumbnails + result.auditEntries > 0) {
      log(
        'info',
        `sweeper: deleted ${result.sessions} expired session(s), ${result.pairingCodes} spent pairing code(s), ${result.thumbnails} old thumbnail(s), ${result.auditEntries} old audit entries`,
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
