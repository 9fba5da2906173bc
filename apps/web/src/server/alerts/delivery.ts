import { log } from '../log';
import { type Message, requestFor, titleOf } from './messages';
import { type AlertSettings, type QuietHours, type Webhook, webhookHint } from './settings';
import type { AlertNotice, AlertRecord } from './types';

export interface DeliveryOptions {
  settings: () => AlertSettings;
  /** `FLOCK_ALERT_WEBHOOK_URL`: a generic JSON webhook besides those set in the console. */
  envWebhookUrl?: string | null;
  now: () => number;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Attempts after the first (default 3), spaced by backoffMs, doubling (default 1 s). */
  retries?: number;
  backoffMs?: number;
  /** Posts held by an earlier run during quiet hours (restored from the database). */
  held?: HeldNotices;
  /** Told after every change of what is held, to keep it across a restart. */
  onHeldChange?: (held: HeldNotices) => void;
}

/** Posts held during quiet hours, and how many more were dropped beyond MAX_HELD. */
export interface HeldNotices {
  notices: AlertNotice[];
  overflow: number;
}

export type PostResult = { ok: true; status: number } | { ok: false; error: string };

/** Posts waiting per webhook; beyond this the oldest are dropped with a log line (a dead receiver). */
const MAX_QUEUED_PER_WEBHOOK = 100;
/** Alerts held during quiet hours; beyond this only the count grows. */
export const MAX_HELD = 500;

/** Minutes since local midnight of an "HH:MM". */
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** Whether `at` (epoch ms) falls in the quiet hours, in the console's local time; `from` == `to` is all day. */
export function inQuietHours(quiet: QuietHours, at: number): boolean {
  if (!quiet.enabled) return false;
  const date = new Date(at);
  const minute = date.getHours() * 60 + date.getMinutes();
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

/**
 * Sends alert messages to every webhook, in the background: each webhook has its own queue (in
 * order, bounded), each post a timeout and a few retries with back-off, so a slow or dead receiver
 * delays only itself and never the link hub or the engine. During quiet hours posts are held and sent
 * as one summary when they end.
 */
export class AlertDelivery {
  private readonly queues = new Map<string, { pending: number; tail: Promise<void> }>();
  private held: AlertNotice[];
  private heldOverflow: number;

  constructor(private readonly options: DeliveryOptions) {
    this.held = options.held?.notices.slice(0, MAX_HELD) ?? [];
    this.heldOverflow = options.held?.overflow ?? 0;
  }

  /** The webhooks posted to: the console's and the environment's. */
  webhooks(): Webhook[] {
    const configured = this.options.settings().webhooks;
    const env = this.options.envWebhookUrl;
    return env
      ? [...configured, { id: 'env', kind: 'json', name: 'FLOCK_ALERT_WEBHOOK_URL', url: env }]
      : configured;
  }

  notify(notice: AlertNotice): void {
    if (inQuietHours(this.options.settings().quietHours, this.options.now())) {
      if (this.held.length < MAX_HELD) this.held.push(notice);
      else this.heldOverflow += 1;
      this.options.onHeldChange?.({ notices: this.held, overflow: this.heldOverflow });
      return;
    }
    this.broadcast({ type: notice.change, alert: notice.alert });
  }

  /** Called periodically: once quiet hours are over, what they held goes out as one summary. */
  releaseHeld(): void {
    if (this.held.length === 0 && this.heldOverflow === 0) return;
    if (inQuietHours(this.options.settings().quietHours, this.options.now())) return;
    const held = this.held;
    const extra = this.heldOverflow;
    this.held = [];
    this.heldOverflow = 0;
    this.options.onHeldChange?.({ notices: [], overflow: 0 });
    this.broadcast(summaryOf(held, extra));
  }

  broadcast(message: Message): void {
    for (const webhook of this.webhooks()) this.enqueue(webhook, message);
  }

  /** Waits until every queued post has been sent or given up (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.tail));
  }

  /** One post with the usual retries, awaited: the settings card's "Send test". */
  send(webhook: Webhook, message: Message): Promise<PostResult> {
    return this.postWithRetries(webhook, message);
  }

  private enqueue(webhook: Webhook, message: Message): void {
    const queue = this.queues.get(webhook.id) ?? { pending: 0, tail: Promise.resolve() };
    this.queues.set(webhook.id, queue);
    if (queue.pending >= MAX_QUEUED_PER_WEBHOOK) {
      log(
        'warn',
        `alerts: webhook "${webhook.name}" is ${MAX_QUEUED_PER_WEBHOOK} posts behind; "${titleOf(message)}" not sent`,
      );
      return;
    }
    queue.pending += 1;
    queue.tail = queue.tail
      .then(() => this.postWithRetries(webhook, message))
      .then(() => undefined)
      .finally(() => {
        queue.pending -= 1;
      });
  }

  private async postWithRetries(webhook: Webhook, message: Message): Promise<PostResult> {
    const { retries = 3, backoffMs = 1_000 } = this.options;
    let result: PostResult = { ok: false, error: 'not sent' };
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
      result = await this.post(webhook, message);
      if (result.ok || !worthRetrying(result)) break;
    }
    if (!result.ok)
      log('warn', `alerts: webhook "${webhook.name}" (${webhookHint(webhook.url)}) failed: ${result.error}`);
    return result;
  }

  private async post(webhook: Webhook, message: Message): Promise<PostResult> {
    const { body, headers } = requestFor(webhook.kind, message);
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      return response.ok
        ? { ok: true, status: response.status }
        : { ok: false, error: `HTTP ${response.status}` };
    } catch (error) {
      return {
        ok: false,
        error: (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message,
      };
    }
  }
}

/** Network errors, timeouts, 429 and 5xx may pass on a later try; other answers will not. */
function worthRetrying(result: Extract<PostResult, { ok: false }>): boolean {
  const status = /^HTTP (\d+)$/.exec(result.error)?.[1];
  return status === undefined || status === '429' || status.startsWith('5');
}

function summaryOf(held: AlertNotice[], extra: number): Message {
  const fired = held.filter((notice) => notice.change === 'fired').length;
  const resolved = held.length - fired;
  const lines = held.map(
    ({ change, alert }) => `${change === 'fired' ? 'Fired' : 'Resolved'}: ${alert.title}`,
  );
  if (extra > 0) lines.push(`… and ${extra} more`);
  const alerts: AlertRecord[] = held.map((notice) => notice.alert);
  return {
    type: 'summary',
    title: `During quiet hours: ${fired} alert(s) fired, ${resolved} resolved`,
    text: lines.join('\n'),
    alerts,
  };
}
