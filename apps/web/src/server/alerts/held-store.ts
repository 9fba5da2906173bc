// Posts held during quiet hours outlive a console restart: the fleet setting `alert-held` keeps which
// alert fired or resolved (ids, not copies: the records are in the alerts table), and the restarted
// console sends them in its summary when the quiet hours end.
import { z } from 'zod';
import type { AlertsRepo } from '../db/alerts-repo';
import type { ConsoleRepo } from '../db/repo';
import { log } from '../log';
import { type HeldNotices, MAX_HELD } from './delivery';
import type { AlertNotice } from './types';

const HELD_KEY = 'alert-held';

const StoredHeldSchema = z.object({
  notices: z
    .array(z.object({ id: z.number().int().positive(), change: z.enum(['fired', 'resolved']) }))
    .max(MAX_HELD),
  overflow: z.number().int().nonnegative(),
});

/** What an earlier run held; nothing when none was kept or what was kept does not read. */
export async function loadHeldNotices(repo: ConsoleRepo, alerts: AlertsRepo): Promise<HeldNotices> {
  const kept = (await repo.fleetSettings()).get(HELD_KEY);
  const stored = StoredHeldSchema.safeParse(kept);
  if (!stored.success) {
    if (kept !== undefined) log('warn', 'alerts: the held quiet-hours posts kept do not read; dropped');
    return { notices: [], overflow: 0 };
  }
  const notices: AlertNotice[] = [];
  for (const { id, change } of stored.data.notices) {
    const alert = await alerts.get(id);
    if (alert) notices.push({ change, alert });
  }
  return { notices, overflow: stored.data.overflow };
}

/** Keeps what is held, in order of the changes: each write is queued after the previous one. */
export class HeldNoticesKeeper {
  private writes = Promise.resolve();

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly now: () => number,
  ) {}

  readonly keep = (held: HeldNotices): void => {
    const value = {
      notices: held.notices.map(({ alert, change }) => ({ id: alert.id, change })),
      overflow: held.overflow,
    };
    this.writes = this.writes
      .then(() => this.repo.setFleetSetting(HELD_KEY, value, this.now(), 'alerts'))
      .catch((error: Error) => log('error', `alerts: keeping the held posts failed: ${error.message}`));
  };

  /** Resolves once every change so far is written (before the database closes). */
  flushed(): Promise<void> {
    return this.writes;
  }
}
