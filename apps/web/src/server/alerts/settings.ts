import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ConsoleRepo } from '../db/repo';
import { log } from '../log';

/** Every rule the alert engine knows; one incident per (rule, machine). */
export const ALERT_RULES = [
  'offline',
  'farm-unreachable',
  'error-streak',
  'upload-queue',
  'no-frames',
  'disk-full',
  'crash',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** "HH:MM", 24-hour, in the console's local time zone. */
const LocalTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 22:00');
const minutes = z
  .number()
  .min(0.01)
  .max(7 * 24 * 60);
const count = z.number().int().min(1).max(10_000);

export const AlertRulesSchema = z.object({
  offline: z.object({ enabled: z.boolean(), minutes }),
  farmUnreachable: z.object({ enabled: z.boolean(), minutes }),
  errorStreak: z.object({ enabled: z.boolean(), count }),
  uploadQueue: z.object({ enabled: z.boolean(), count }),
  noFrames: z.object({
    enabled: z.boolean(),
    hours: z
      .number()
      .min(0.01)
      .max(24 * 30),
  }),
  /** Fires when the agent reports a full disk, or less free space on its cache's disk than this. */
  diskFull: z.object({ enabled: z.boolean(), minFreeGib: z.number().min(0).max(100_000).default(2) }),
  crash: z.object({ enabled: z.boolean() }),
});
export type AlertRules = z.infer<typeof AlertRulesSchema>;

export const QuietHoursSchema = z.object({
  enabled: z.boolean(),
  from: LocalTimeSchema,
  to: LocalTimeSchema,
});
export type QuietHours = z.infer<typeof QuietHoursSchema>;

export const DigestSchema = z.object({ enabled: z.boolean(), at: LocalTimeSchema });
export type Digest = z.infer<typeof DigestSchema>;

export const WEBHOOK_KINDS = ['json', 'discord', 'ntfy'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** Only http(s), at most 2000 characters, no credentials in the URL's user part. */
export const WebhookUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'an http:// or https:// URL (without a user name or password in it)');

export const WebhookSchema = z.object({
  id: z.string().min(1).max(64),
  kind: z.enum(WEBHOOK_KINDS),
  name: z.string().trim().min(1).max(60),
  url: WebhookUrlSchema,
});
export type Webhook = z.infer<typeof WebhookSchema>;
export const MAX_WEBHOOKS = 10;

export const AlertSettingsSchema = z.object({
  rules: AlertRulesSchema,
  quietHours: QuietHoursSchema,
  digest: DigestSchema,
  webhooks: z.array(WebhookSchema).max(MAX_WEBHOOKS),
});
export type AlertSettings = z.infer<typeof AlertSettingsSchema>;

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  rules: {
    offline: { enabled: true, minutes: 2 },
    farmUnreachable: { enabled: true, minutes: 10 },
    errorStreak: { enabled: true, count: 3 },
    uploadQueue: { enabled: true, count: 5 },
    noFrames: { enabled: true, hours: 6 },
    diskFull: { enabled: true, minFreeGib: 2 },
    crash: { enabled: true },
  },
  quietHours: { enabled: false, from: '22:00', to: '07:00' },
  digest: { enabled: false, at: '08:00' },
  webhooks: [],
};

/** The key of the alert settings in `fleet_settings` (never sent to agents). */
const KEY = 'alert-settings';

/** A webhook as the browser sees it: its URL is a secret, so only where it points. */
export function webhookHint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}/…`;
}

/** The alert settings: read at start, each change validated, stored and effective at once. */
export class AlertSettingsStore {
  private current: AlertSettings = DEFAULT_ALERT_SETTINGS;

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly now: () => number,
  ) {}

  async load(): Promise<void> {
    const stored = (await this.repo.fleetSettings()).get(KEY);
    if (stored === undefined) return;
    const parsed = AlertSettingsSchema.safeParse(stored);
    if (parsed.success) this.current = parsed.data;
    else log('warn', 'alerts: stored alert settings are invalid; the defaults apply');
  }

  get settings(): AlertSettings {
    return this.current;
  }

  async update(
    changes: Partial<Pick<AlertSettings, 'rules' | 'quietHours' | 'digest'>>,
    by: string,
  ): Promise<void> {
    await this.save({ ...this.current, ...changes }, by);
    log('info', `alerts: settings changed by ${by}`);
  }

  /** Adds a webhook; false when there are already MAX_WEBHOOKS. */
  async addWebhook(webhook: Omit<Webhook, 'id'>, by: string): Promise<Webhook | null> {
    if (this.current.webhooks.length >= MAX_WEBHOOKS) return null;
    const added = { ...webhook, id: randomUUID() };
    await this.save({ ...this.current, webhooks: [...this.current.webhooks, added] }, by);
    log('info', `alerts: ${added.kind} webhook "${added.name}" to ${webhookHint(added.url)} added by ${by}`);
    return added;
  }

  async removeWebhook(id: string, by: string): Promise<boolean> {
    const remaining = this.current.webhooks.filter((webhook) => webhook.id !== id);
    if (remaining.length === this.current.webhooks.length) return false;
    await this.save({ ...this.current, webhooks: remaining }, by);
    log('info', `alerts: webhook ${id} removed by ${by}`);
    return true;
  }

  private async save(next: AlertSettings, by: string): Promise<void> {
    const valid = AlertSettingsSchema.parse(next);
    this.current = valid;
    await this.repo.setFleetSetting(KEY, valid, this.now(), by);
  }
}
