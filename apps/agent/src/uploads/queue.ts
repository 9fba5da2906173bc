/**
 * The persisted upload queue (docs/protocol.md §7; docs/decisions.md D6, D14).
 *
 * A rendered frame is moved into the queue dir and described by `<id>.json` (written atomically) before
 * `enqueue` resolves, so a frame counts as rendered only once it is safe on disk. One sender works
 * through the items; each stays until the farm gives a final answer:
 *  - status 0 → delivered: the JSON (the commit point) then the frame file are deleted;
 *  - a final refusal (300, 301/304 session disabled, 306/308) → reported through an event, deleted;
 *  - anything else (302, 303, unknown status, 5xx, non-XML, network) → retried with back-off, forever.
 *
 * Exactly-once intent: the only double-send window is a crash after the farm accepted the frame and before
 * the JSON was deleted. The item is marked `inFlightSince` before every POST; an item found marked at
 * start-up is re-sent, and if the farm then refuses it finally (a farm may reject a repeated validation,
 * e.g. with 300 or 304 for a job it already closed), the `rejected` event says `possiblyDelivered: true`:
 * the frame was most likely accepted before the crash, so the caller logs it instead of reporting an
 * error to the farm. A farm that answers a duplicate with 0 (the sandbox farm does) needs nothing special.
 */

import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ErrorType,
  UPLOAD_BACKOFF,
  type UploadBackoff,
  uploadRetryDelay,
  validationStatus,
} from '@flock/protocol';
import { type Clock, systemClock } from '../clock.js';
import type { SendResult, UploadEvent, UploadSender } from './events.js';
import {
  frameFileName,
  loadItems,
  moveFrameInto,
  newItemId,
  removeItem,
  type UploadItem,
  writeItem,
} from './store.js';

export interface UploadQueueOptions {
  /** The queue dir, e.g. `<cache-dir>/uploads`. Must be on a local disk. */
  dir: string;
  send: UploadSender;
  clock?: Clock;
  random?: () => number;
  backoff?: UploadBackoff;
  onEvent?: (event: UploadEvent) => void;
}

/** A rendered frame for the queue: the facts its entry keeps, and where Blender left the file. */
export type EnqueueRequest = Pick<
  UploadItem,
  | 'contentType'
  | 'jobId'
  | 'frame'
  | 'validationUrl'
  | 'renderTimeSeconds'
  | 'memoryUsedKiB'
  | 'cores'
  | 'projectName'
  | 'phases'
  | 'device'
  | 'sessionKey'
> & {
  /** Blender's output file; it is moved into the queue dir. */
  sourceFile: string;
  meta?: UploadItem['meta'];
};

export class UploadQueue {
  private readonly items = new Map<string, UploadItem>();
  private readonly listeners = new Set<(event: UploadEvent) => void>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: UploadBackoff;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake = new AbortController();
  private readonly uncertain = new Set<string>();
  private current: string | undefined;

  private constructor(private readonly options: UploadQueueOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? UPLOAD_BACKOFF;
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  /** Opens (creating if needed) the queue dir and loads what a previous run left; call `start()` to send. */
  static async open(options: UploadQueueOptions): Promise<UploadQueue> {
    const queue = new UploadQueue(options);
    await queue.recover();
    return queue;
  }

  on(listener: (event: UploadEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Frames not yet finally answered by the farm. */
  get size(): number {
    return this.items.size;
  }

  /** The frame being POSTed right now, if any. */
  get sending(): UploadItem | undefined {
    return this.current ? this.items.get(this.current) : undefined;
  }

  list(): UploadItem[] {
    return [...this.items.values()].map((item) => ({ ...item, meta: { ...item.meta } }));
  }

  /** Records a rendered frame durably; resolves once it is safe on disk (the frame then counts as rendered). */
  async enqueue(request: EnqueueRequest): Promise<UploadItem> {
    const now = this.clock.now();
    const id = newItemId(request.jobId, request.frame, now);
    const name = frameFileName(id, request.sourceFile);
    const file = join(this.options.dir, name);
    // The frame is moved and fsynced while the item's JSON is written; the JSON commits after both.
    const moved = moveFrameInto(this.options.dir, request.sourceFile, name);
    const item: UploadItem = {
      id,
      jobId: request.jobId,
      frame: request.frame,
      validationUrl: request.validationUrl,
      renderTimeSeconds: request.renderTimeSeconds,
      ...(request.memoryUsedKiB !== undefined && { memoryUsedKiB: request.memoryUsedKiB }),
      ...(request.cores !== undefined && { cores: request.cores }),
      ...(request.projectName !== undefined && { projectName: request.projectName }),
      ...(request.phases !== undefined && { phases: request.phases }),
      ...(request.device !== undefined && { device: request.device }),
      sessionKey: request.sessionKey,
      meta: { ...request.meta },
      file,
      filename: request.sourceFile.split(/[\\/]/).pop() ?? file,
      contentType: request.contentType,
      createdAt: now,
      attempts: 0,
      nextAttemptAt: now,
    };
    await writeItem(this.options.dir, item, true, moved);
    this.items.set(id, item);
    this.emit({ type: 'queued', item });
    this.poke();
    return item;
  }

  /** Starts the sender (idempotent). Recovered items are sent first, oldest first. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.run();
  }

  /** Stops after the attempt in progress; nothing is lost, the items stay on disk. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.running;
    this.running = undefined;
  }

  /** Resolves when every frame got a final answer (exit after uploads). */
  drain(signal?: AbortSignal): Promise<void> {
    return this.waitUntil(() => this.items.size === 0, signal);
  }

  private async recover(): Promise<void> {
    const { items, problems } = await loadItems(this.options.dir);
    for (const problem of problems) this.emit({ type: 'problem', ...problem });
    const recovered: UploadItem[] = [];
    for (const item of items) {
      if (!(await exists(item.file))) {
        await removeItem(this.options.dir, item);
        this.emit({ type: 'lost', item, reason: `frame file ${item.file} is missing` });
        continue;
      }
      if (item.inFlightSince !== undefined) this.uncertain.add(item.id);
      // A restart is a fresh start: send recovered frames now rather than after an old back-off.
      const fresh: UploadItem = { ...item, nextAttemptAt: this.clock.now() };
      delete fresh.inFlightSince;
      this.items.set(item.id, fresh);
      recovered.push(fresh);
    }
    if (recovered.length > 0) this.emit({ type: 'recovered', items: recovered });
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const next = this.earliest();
      const now = this.clock.now();
      if (next && next.nextAttemptAt <= now) {
        await this.attempt(next);
      } else {
        await this.idle(next ? next.nextAttemptAt - now : undefined);
      }
    }
  }

  private earliest(): UploadItem | undefined {
    let best: UploadItem | undefined;
    for (const item of this.items.values()) {
      if (!best || item.nextAttemptAt < best.nextAttemptAt) best = item;
    }
    return best;
  }

  private async attempt(item: UploadItem): Promise<void> {
    const attempt = item.attempts + 1;
    // Marker for "the farm may have it"; not fsynced: losing it only loses that hint.
    await writeItem(this.options.dir, { ...item, inFlightSince: this.clock.now() }, false);
    this.current = item.id;
    this.emit({ type: 'sending', item, attempt });
    let result: SendResult;
    try {
      result = await this.options.send(item);
    } catch (error) {
      result = { error: error instanceof Error ? error.message : String(error) };
    } finally {
      this.current = undefined;
    }
    if ('status' in result) await this.handleStatus(item, result.status);
    else await this.scheduleRetry(item, result.error, result.errorType ?? ErrorType.NETWORK_ISSUE);
  }

  private async handleStatus(item: UploadItem, status: number): Promise<void> {
    const info = validationStatus(status);
    if (info.reaction.kind === 'proceed') {
      await this.finish(item);
      this.emit({ type: 'delivered', item });
    } else if (info.reaction.kind === 'final') {
      const errorType = info.reaction.errorType;
      const possiblyDelivered = this.uncertain.has(item.id);
      await this.finish(item);
      this.emit({
        type: 'rejected',
        item,
        status,
        errorType,
        explanation: info.explanation,
        sessionDisabled: errorType === ErrorType.SESSION_DISABLED,
        possiblyDelivered,
      });
    } else {
      await this.scheduleRetry(
        item,
        `status ${status}: ${info.explanation}`,
        ErrorType.VALIDATION_FAILED,
        status,
      );
    }
  }

  private async finish(item: UploadItem): Promise<void> {
    await removeItem(this.options.dir, item);
    this.items.delete(item.id);
    this.uncertain.delete(item.id);
  }

  private async scheduleRetry(item: UploadItem, reason: string, errorType: number, status?: number) {
    const attempts = item.attempts + 1;
    const delayMs = uploadRetryDelay(attempts, this.backoff, this.random);
    const updated: UploadItem = {
      ...item,
      attempts,
      nextAttemptAt: this.clock.now() + delayMs,
      lastError: reason,
    };
    await writeItem(this.options.dir, updated);
    this.items.set(item.id, updated);
    this.emit({
      type: 'retry',
      item: updated,
      attempt: attempts,
      delayMs,
      reason,
      errorType,
      ...(status !== undefined && { status }),
    });
  }

  /** Sleeps until `ms` passed (or forever when undefined), cut short by an enqueue or stop. */
  private async idle(ms: number | undefined): Promise<void> {
    const { signal } = this.wake;
    if (signal.aborted) {
      this.wake = new AbortController();
      return;
    }
    const wakeUp = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    const timer = ms === undefined ? wakeUp : this.clock.sleep(ms, signal).catch(() => undefined);
    await Promise.race([timer, wakeUp]);
    if (signal.aborted) this.wake = new AbortController();
  }

  private poke(): void {
    this.wake.abort();
  }

  private emit(event: UploadEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not stop uploads.
      }
    }
    this.notifyWaiters();
  }

  private waiters = new Set<() => void>();

  private notifyWaiters(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private waitUntil(condition: () => boolean, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (condition()) return resolve();
      if (signal?.aborted) return reject(signal.reason);
      const check = () => {
        if (!condition()) return;
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiters.delete(check);
        reject(signal?.reason);
      };
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
