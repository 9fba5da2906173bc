import { EventEmitter } from 'node:events';
import { AlertsRepo } from '../db/alerts-repo';
import type { ConsoleDb } from '../db/client';
import type { ConsoleRepo } from '../db/repo';
import type { Fleet } from '../link/fleet';
import { log } from '../log';
import { AlertDelivery, type DeliveryOptions, type PostResult } from './delivery';
import { DigestClock } from './digest';
import { AlertEngine } from './engine';
import { HeldNoticesKeeper, loadHeldNotices } from './held-store';
import { AlertSettingsStore, WebhookUrlSchema } from './settings';
import type { AlertRecord } from './types';

export interface AlertsOptions {
  db: ConsoleDb;
  repo: ConsoleRepo;
  fleet: Fleet;
  now: () => number;
  /** `FLOCK_ALERT_WEBHOOK_URL`; an invalid one is ignored with a log line. */
  envWebhookUrl?: string | undefined;
  /** How often time-based rules, quiet hours and the digest are checked (default 5 s). */
  tickMs?: number;
  delivery?: Pick<DeliveryOptions, 'timeoutMs' | 'retries' | 'backoffMs'>;
}

/** Recent alerts shown: every open one and those fired in the last 7 days, at most 200. */
const RECENT_MS = 7 * 24 * 3_600_000;
const RECENT_LIMIT = 200;

/** The console's alerts: settings, the incident engine, webhook delivery and the daily digest. */
export class Alerts {
  /** `changed` after every alert fired, resolved or acknowledged (the bell and the list listen). */
  readonly changes = new EventEmitter<{ changed: [] }>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly repo: AlertsRepo,
    readonly settings: AlertSettingsStore,
    readonly delivery: AlertDelivery,
    readonly engine: AlertEngine,
    private readonly digest: DigestClock,
    private readonly heldKeeper: HeldNoticesKeeper,
    private readonly now: () => number,
  ) {
    this.changes.setMaxListeners(0);
  }

  static async start(options: AlertsOptions): Promise<Alerts> {
    const { fleet, now } = options;
    const repo = new AlertsRepo(options.db);
    const settings = new AlertSettingsStore(options.repo, now);
    await settings.load();
    const heldKeeper = new HeldNoticesKeeper(options.repo, now);
    const delivery = new AlertDelivery({
      settings: () => settings.settings,
      envWebhookUrl: envWebhook(options.envWebhookUrl),
      now,
      held: await loadHeldNotices(options.repo, repo),
      onHeldChange: heldKeeper.keep,
      ...options.delivery,
    });
    let alerts: Alerts | undefined;
    const engine = new AlertEngine({
      fleet,
      repo,
      settings: () => settings.settings,
      now,
      ...(options.tickMs ? { tickMs: options.tickMs } : {}),
      notify: (notice) => {
        delivery.notify(notice);
        alerts?.changes.emit('changed');
      },
    });
    const digest = new DigestClock({
      settings: () => settings.settings,
      repo: options.repo,
      fleet,
      delivery,
      now,
    });
    alerts = new Alerts(repo, settings, delivery, engine, digest, heldKeeper, now);
    await engine.start();
    alerts.timer = setInterval(() => alerts.tick(), options.tickMs ?? 5_000);
    alerts.timer.unref();
    return alerts;
  }

  private tick(): void {
    this.delivery.releaseHeld();
    this.digest.tick().catch((error: Error) => log('error', `alerts: digest failed: ${error.message}`));
  }

  recent(): Promise<AlertRecord[]> {
    return this.repo.recent(this.now() - RECENT_MS, RECENT_LIMIT);
  }

  unacknowledged(): Promise<number> {
    return this.repo.unacknowledgedCount();
  }

  async acknowledge(id: number | null, by: string): Promise<number> {
    const changed = await this.repo.acknowledge(id, this.now(), by);
    if (changed > 0) this.changes.emit('changed');
    return changed;
  }

  /** A test message to one webhook, awaited so the admin sees the outcome. */
  sendTest(webhookId: string): Promise<PostResult | null> {
    const webhook = this.delivery.webhooks().find((candidate) => candidate.id === webhookId);
    if (!webhook) return Promise.resolve(null);
    return this.delivery.send(webhook, {
      type: 'test',
      title: 'Flock test alert',
      text: 'This webhook receives Flock alerts.',
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.engine.stop();
    await this.heldKeeper.flushed();
  }
}

function envWebhook(url: string | undefined): string | null {
  if (!url) return null;
  const parsed = WebhookUrlSchema.safeParse(url);
  if (parsed.success) return parsed.data;
  log('warn', 'alerts: FLOCK_ALERT_WEBHOOK_URL is not an http(s) URL without credentials; ignored');
  return null;
}
