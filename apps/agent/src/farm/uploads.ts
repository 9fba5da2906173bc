// The frame uploads: the persisted queue with the validation sender (docs/protocol.md §2.6, §7), its
// events turned into state, stats, link events and error reports. A frame rendered under an earlier
// session (a re-login, or before a restart) is sent with that session's cookie: the farm ties a job to
// the session that took it (docs/decisions.md D15).
import path from 'node:path';
import {
  buildValidation,
  ErrorType,
  errorType,
  FrameDeviceSchema,
  isProtocolError,
  parseJobValidateAnswer,
  type UploadBackoff,
  ValidationStatus,
} from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/index.js';
import type { AgentStateStore } from '../state/index.js';
import { type SendResult, type UploadEvent, type UploadItem, UploadQueue } from '../uploads/index.js';
import type { ErrorReporter } from './error-report.js';
import { FrameCredits } from './frame-credits.js';
import { frameDelivered, wallTimeOf } from './frame-estimate.js';
import type { FarmHttp } from './http.js';
import { withUpload } from './phase-times.js';
import type { FrameUploads, RenderedFrame } from './ports.js';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.exr': 'image/x-exr',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.bmp': 'image/bmp',
};

export interface FarmUploadsOptions {
  dir: string;
  http: FarmHttp;
  store: AgentStateStore;
  reporter: ErrorReporter;
  log: Logger;
  clock: Clock;
  /** Identifies the current farm session (changes on every login). */
  sessionKey: () => string;
  /** The farm refused a frame because the session is dead or disabled (304): log in again. */
  onSessionRefused: () => void;
  backoff?: UploadBackoff;
}

export class FarmUploads implements FrameUploads {
  private readonly listeners = new Set<() => void>();
  /** The item being POSTed right now, if any (one sender). */
  private sending: string | undefined;
  /** Frames on their way into the queue (being moved and fsynced): already outstanding. */
  private readonly storing = new Set<Promise<unknown>>();
  private readonly credits: FrameCredits;

  private constructor(
    private readonly options: FarmUploadsOptions,
    private queue: UploadQueue,
  ) {
    this.credits = new FrameCredits((event) => options.store.publish(event));
  }

  static async open(options: FarmUploadsOptions): Promise<FarmUploads> {
    let self: FarmUploads | undefined;
    const queue = await UploadQueue.open({
      dir: options.dir,
      clock: options.clock,
      send: (item) => sendFrame(options.http, item),
      onEvent: (event) => self?.onEvent(event),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    self = new FarmUploads(options, queue);
    for (const item of queue.list())
      options.log.info('frame from an earlier run waits for upload', { job: item.jobId, frame: item.frame });
    self.refreshState();
    return self;
  }

  start(): void {
    this.queue.start();
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  async add(frame: RenderedFrame): Promise<void> {
    const { job } = frame;
    const cookie = this.options.http.cookies.header(job.validationUrl);
    const stored = this.queue.enqueue({
      sourceFile: frame.outputFile,
      contentType: CONTENT_TYPES[path.extname(frame.outputFile).toLowerCase()] ?? 'application/octet-stream',
      jobId: job.id,
      frame: job.frame,
      validationUrl: job.validationUrl,
      // Kept exact for the console's history; the farm gets whole seconds.
      renderTimeSeconds: frame.renderTimeSeconds,
      ...(frame.memoryUsedKiB === undefined ? {} : { memoryUsedKiB: frame.memoryUsedKiB }),
      ...(frame.cores === undefined ? {} : { cores: frame.cores }),
      projectName: job.name,
      ...(frame.phases === undefined ? {} : { phases: frame.phases }),
      ...(frame.device === undefined ? {} : { device: frame.device }),
      sessionKey: this.options.sessionKey(),
      meta: cookie ? { cookie } : {},
    });
    this.storing.add(stored);
    try {
      await stored;
    } finally {
      this.storing.delete(stored);
      for (const listener of this.listeners) listener();
    }
  }

  sessionCredits(total: number): void {
    this.credits.reported(total, this.options.sessionKey());
  }

  outstanding(): number {
    return this.queue.size + this.storing.size;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async drained(signal?: AbortSignal): Promise<void> {
    await Promise.allSettled(this.storing);
    await this.queue.drain(signal).catch(() => undefined);
  }

  private onEvent(event: UploadEvent): void {
    const { log, store } = this.options;
    if (event.type === 'sending') this.sending = event.item.id;
    else if (['delivered', 'retry', 'rejected'].includes(event.type)) this.sending = undefined;
    switch (event.type) {
      case 'delivered':
        this.delivered(event.item);
        break;
      case 'rejected':
        log.warn('the farm refused a frame', {
          job: event.item.jobId,
          frame: event.item.frame,
          status: event.status,
          why: event.explanation,
        });
        if (event.status === ValidationStatus.SESSION_DISABLED) this.options.onSessionRefused();
        this.announce(
          event.item,
          event.errorType,
          `the farm refused frame ${event.item.frame} of job ${event.item.jobId} (${event.status}: ${event.explanation})`,
        );
        if (event.possiblyDelivered)
          log.info('the frame was most likely delivered before a restart', { job: event.item.jobId });
        else
          void this.options.reporter.report({
            type: event.errorType,
            job: { id: event.item.jobId, frame: event.item.frame, name: event.item.projectName ?? '' },
            lines: [`frame ${event.item.jobId}_${event.item.frame}: ${event.status} ${event.explanation}`],
          });
        break;
      case 'retry':
        log.warn('upload failed, will retry', {
          job: event.item.jobId,
          frame: event.item.frame,
          reason: event.reason,
          inSeconds: Math.round(event.delayMs / 1000),
        });
        // Once per frame: its further retries are in the log.
        if (event.attempt === 1)
          this.announce(
            event.item,
            event.errorType,
            `the upload of frame ${event.item.frame} of job ${event.item.jobId} failed (${event.reason}); it is tried again`,
          );
        break;
      case 'lost':
        log.warn(`upload queue: ${event.reason}`);
        this.announce(
          event.item,
          ErrorType.UNKNOWN,
          `frame ${event.item.frame} of job ${event.item.jobId} is lost: ${event.reason}`,
        );
        break;
      case 'problem':
        log.warn(`upload queue: ${event.reason}`);
        break;
      default:
        break;
    }
    store.updateLocal({ uploadedBytes: this.options.http.uploadedBytes });
    this.refreshState();
    for (const listener of this.listeners) listener();
  }

  /** An upload problem is an error for the console, with the recent log as its evidence. */
  private announce(item: UploadItem, type: number, message: string): void {
    const { store } = this.options;
    store.publish({
      kind: 'error',
      jobId: item.jobId,
      code: errorType(type).name,
      message: message.slice(0, 2000),
      logExcerpt: store.logExcerpt(store.state.recentLog.slice(-40)),
    });
  }

  private delivered(item: UploadItem): void {
    const { store, log } = this.options;
    log.info('frame delivered', { job: item.jobId, frame: item.frame });
    store.updateLocal({ framesDelivered: store.local.framesDelivered + 1 });
    store.update({ lastFramePath: item.filename });
    const phases = withUpload(item.phases, this.options.clock.now());
    const wallMs = phases && wallTimeOf(phases);
    if (wallMs !== undefined && item.projectName) {
      const frameTimes = frameDelivered(store.local.frameTimes, item.projectName, wallMs);
      store.updateLocal({ frameTimes });
    }
    store.publish({
      kind: 'frame-done',
      jobId: item.jobId,
      project: (item.projectName ?? '').slice(0, 300),
      frame: Number.parseInt(item.frame, 10) || 0,
      renderTimeMs: Math.max(0, Math.round(item.renderTimeSeconds * 1000)),
      credits: null,
      thumbnail: null,
      ...(phases ? { phases } : {}),
      ...deviceOf(item),
    });
    this.credits.delivered(item.jobId, item.sessionKey);
  }

  private refreshState(): void {
    const items = this.queue.list();
    const inFlight = items.some((item) => item.id === this.sending) ? 1 : 0;
    this.options.store.update({ uploads: { queued: items.length - inFlight, inFlight } });
    this.options.store.updateLocal({ uploadsPending: items.length });
  }
}

/** One validation POST; the queue decides from the status what happens next. */
async function sendFrame(http: FarmHttp, item: UploadItem): Promise<SendResult> {
  const spec = buildValidation(item.validationUrl, {
    renderTimeSeconds: item.renderTimeSeconds,
    ...(item.memoryUsedKiB === undefined ? {} : { memoryUsedKiB: item.memoryUsedKiB }),
    filename: item.filename,
    contentType: item.contentType,
  });
  const answer = await http.send(spec, {
    file: item.file,
    ...(item.meta.cookie ? { cookie: item.meta.cookie } : {}),
  });
  if (answer.status === 413) return { status: 306 }; // the official client: HTTP 413 is "image too large"
  if (answer.status !== 200) {
    return { error: `HTTP ${answer.status} from the farm`, errorType: ErrorType.ERROR_BAD_UPLOAD_RESPONSE };
  }
  try {
    return { status: parseJobValidateAnswer(answer.body, answer.contentType).status };
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    return {
      error: `bad validation answer: ${error.message}`,
      errorType: ErrorType.ERROR_BAD_UPLOAD_RESPONSE,
    };
  }
}

/** The frame's device for its `frame-done` event, when its stored entry holds a valid one. */
function deviceOf(item: UploadItem): { device?: UploadItem['device'] } {
  const parsed = FrameDeviceSchema.safeParse(item.device);
  return parsed.success ? { device: parsed.data } : {};
}
