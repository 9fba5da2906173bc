// One job, start to finish: renderer and project archives (cache by md5), extraction, the render,
// then the frame into the upload queue. Returns what happened; reporting is the loop's business.
import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  assertFarmSite,
  buildDownloadRequest,
  CurrentJobSchema,
  type Endpoints,
  ErrorType,
  type FrameDevice,
  isProtocolError,
  type Job,
  type JobPhase,
  type JobPhaseSpan,
  type StopReason,
} from '@flock/protocol';
import { ArchiveError, extractArchive } from '../archive/index.js';
import type { Clock } from '../clock.js';
import { fileIn, UnsafePathError } from '../confined-path.js';
import type { Controls } from '../controls/index.js';
import { isNoSpace } from '../disk.js';
import {
  type ArchiveCache,
  type ArchiveLease,
  DownloadError,
  type DownloadProgress,
} from '../download/index.js';
import type { Logger } from '../log/index.js';
import type { RenderFacts } from '../render/index.js';
import type { AgentStateStore } from '../state/index.js';
import { PhaseTimes } from './phase-times.js';
import type { FrameUploads, RenderPort } from './ports.js';
import type { RenderDeviceCheck } from './render-device.js';
import { SpareProject } from './spare-project.js';
import { stopReasonOf } from './stop-signal.js';

/** What the render measured, when the job got as far as rendering. */
export type JobFacts = Partial<Omit<RenderFacts, 'log'>>;

/** The longest project name the agent's state carries: the console's own limit. */
const MAX_PROJECT_NAME_CHARS = CurrentJobSchema.shape.project.maxLength ?? 300;

/** A job that ended without a frame: its phases up to the end, for the console's timeline. */
export type JobEnd = { phases?: JobPhaseSpan[] };

export type JobFailure = { kind: 'failed'; errorType: number; message: string } & JobFacts & JobEnd;

export type JobOutcome =
  /**
   * `stored` settles once the frame is durable in the upload queue: its fsyncs overlap the next job
   * request. A crash in that window loses the frame just as a crash a moment before would have, so
   * waiting for them first would only delay the next job. It never rejects: a frame that cannot be
   * stored resolves it with the failure to report.
   */
  | { kind: 'rendered'; stored: Promise<JobFailure | undefined> }
  | JobFailure
  /** Stopped from outside (stop-signal.ts): by the user, or by the farm. */
  | ({ kind: 'stopped'; reason: StopReason } & JobFacts & JobEnd);

export interface JobRunnerOptions {
  cache: ArchiveCache;
  /** Where the extracted renderers live (kept between jobs, one dir per renderer md5). */
  renderersDir: string;
  /** Per-job scratch dirs, removed after each frame. */
  jobsDir: string;
  render: RenderPort;
  uploads: FrameUploads;
  store: AgentStateStore;
  controls: Controls;
  clock: Clock;
  log: Logger;
  onTraffic: () => void;
  /** The headers of a farm call to `url` (session cookie, User-Agent): downloads are farm calls too. */
  farmHeaders: (url: string) => Record<string, string>;
}

export class JobRunner {
  private downloadBytes = 0;
  private downloadSeconds = 0;
  /** Job directories being removed in the background (while the next job is requested), by path. */
  private readonly removals = new Map<string, Promise<void>>();
  private readonly spare: SpareProject;
  /** The current job's phase times. */
  private times: PhaseTimes | undefined;
  /** What Blender's output said about the current job's device, once it said it. */
  private device: RenderDeviceCheck | undefined;

  constructor(private readonly options: JobRunnerOptions) {
    this.spare = new SpareProject(options.jobsDir, options.log);
  }

  /** Average download speed of the session in bytes/s (the job request's `network_dl`). */
  get downloadSpeed(): number {
    return this.downloadSeconds > 0 ? Math.round(this.downloadBytes / this.downloadSeconds) : 0;
  }

  private rendererDir(md5: string): string {
    return fileIn(this.options.renderersDir, md5.toLowerCase());
  }

  async run(job: Job, endpoints: Endpoints, signal: AbortSignal): Promise<JobOutcome> {
    const jobDir = fileIn(this.options.jobsDir, safeName(job.id));
    // The farm may send a job id again (a retried frame): its old dir must be gone first.
    await this.removals.get(jobDir);
    let outcome: JobOutcome;
    let lease: ArchiveLease | undefined;
    try {
      // Held to the job's end: no delete, budget or cleanup removes the archives or the renderer's dir meanwhile.
      lease = this.options.cache.acquire(job.renderer.md5, job.archiveMd5);
      outcome = await this.stages(job, endpoints, jobDir, signal);
    } catch (error) {
      outcome = signal.aborted ? { kind: 'stopped', reason: stopReasonOf(signal) } : failure(error);
    } finally {
      lease?.release();
    }
    this.options.store.update({ job: null });
    if (outcome.kind !== 'rendered' && this.times) outcome = { ...outcome, phases: this.times.spans() };
    this.times = undefined;
    // Removed while the loop already asks for the next job, once the frame has left the dir.
    this.removeLater(jobDir, outcome.kind === 'rendered' ? outcome.stored : undefined);
    return outcome;
  }

  private removeLater(jobDir: string, frameStored: Promise<unknown> | undefined): void {
    const removal = (frameStored ?? Promise.resolve())
      .then(() => rm(jobDir, { recursive: true, force: true }))
      .catch((error: Error) =>
        this.options.log.warn('cannot remove the job directory', { dir: jobDir, error: error.message }),
      )
      .finally(() => this.removals.delete(jobDir));
    this.removals.set(jobDir, removal);
  }

  /** Resolves when every finished job's directory, and any spare project, is gone. */
  async settled(): Promise<void> {
    await Promise.all([...this.removals.values(), this.spare.settled()]);
  }

  /** The loop does something else than asking for the next job: no spare project is kept. */
  discardSpare(): void {
    this.spare.discard();
  }

  private async stages(
    job: Job,
    endpoints: Endpoints,
    jobDir: string,
    signal: AbortSignal,
  ): Promise<JobOutcome> {
    const { log, store, clock, controls } = this.options;
    const frame = Number.parseInt(job.frame, 10);
    const startedAt = clock.now();
    this.times = new PhaseTimes(clock, 'download', startedAt);
    this.device = undefined;
    store.update({
      job: {
        id: job.id,
        // Free text from the farm: cut to what the console's state accepts.
        project: job.name.slice(0, MAX_PROJECT_NAME_CHARS),
        frame: Number.isFinite(frame) ? frame : 0,
        phase: 'download',
        progress: null,
        etaSeconds: null,
        device: job.useGpu ? (controls.limits.gpu ?? 'GPU') : 'CPU',
        startedAt,
        ...(/^[0-9a-f]{32}$/i.test(job.archiveMd5) ? { archiveMd5: job.archiveMd5.toLowerCase() } : {}),
      },
    });
    log.info('job received', { job: job.id, project: job.name, frame: job.frame });
    // The official client posts the frame wherever validation_url says; Flock only to the farm's own
    // site (its origin, or https on a host of its domain, where SheepIt's shepherds are): a farm must
    // not make this machine upload a user's frames to a third party.
    assertFarmSite(endpoints.requestJob, job.validationUrl, 'validation_url');
    // Both cache checks at once (the usual case: both cached); downloads stay one after the other.
    const [cachedRenderer, cachedProject] = await Promise.all([
      this.options.cache.verified(job.renderer.md5),
      this.options.cache.verified(job.archiveMd5),
    ]);
    const rendererZip =
      cachedRenderer ??
      (await this.download(job.renderer.md5, buildDownloadRequest(endpoints, 'binary', job.id).url, signal));
    const projectZip =
      cachedProject ??
      (await this.download(job.archiveMd5, buildDownloadRequest(endpoints, 'job', job.id).url, signal));
    this.phase('extract');
    const rendererDir = this.rendererDir(job.renderer.md5);
    const projectDir = path.join(jobDir, 'project');
    const workDir = path.join(jobDir, 'work');
    // The small directory calls are synchronous (a thread-pool hop costs more than the call on a
    // machine busy rendering). The two extractions run side by side and both settle before a failure
    // is thrown, so nothing is still writing into the job dir when it is removed.
    mkdirSync(workDir, { recursive: true });
    const fromSpare = await this.spare.take(job.archiveMd5, job.password, projectDir);
    const settled = await Promise.allSettled([
      existsSync(rendererDir) ? undefined : extractArchive(rendererZip, rendererDir, { signal }),
      fromSpare ? undefined : extractArchive(projectZip, projectDir, { password: job.password, signal }),
    ]);
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    this.phase('prepare');
    const result = await this.options.render({
      job,
      rendererDir,
      projectDir,
      workDir,
      limits: controls.effectiveLimits,
      signal,
      onProgress: (progress) => this.progress(progress.phase, progress.progress, progress.etaSeconds),
      onOutput: (line) => log.debug(line, { source: 'blender' }),
      onDevice: (device) => this.deviceReported(job, device),
    });
    if (result.blenderVersion && store.state.machine.blender !== result.blenderVersion) {
      store.setMachine({ ...store.state.machine, blender: result.blenderVersion.slice(0, 200) });
    }
    if (signal.aborted) return { kind: 'stopped', reason: stopReasonOf(signal), ...facts(result) };
    if (!result.ok)
      return { kind: 'failed', errorType: result.errorType, message: result.message, ...facts(result) };
    this.spare.prepare(projectZip, job.archiveMd5, job.password);
    this.phase('upload');
    const stored = this.options.uploads
      .add({
        job,
        outputFile: result.outputFile,
        renderTimeSeconds: result.renderTimeSeconds,
        memoryUsedKiB: result.memoryUsedKiB,
        phases: this.times?.finished() ?? [],
        ...this.frameDevice(),
        ...(controls.effectiveLimits.cores === null ? {} : { cores: controls.effectiveLimits.cores }),
      })
      .then(() => {
        const stats = store.state.stats;
        store.updateStats({
          framesRendered: stats.framesRendered + 1,
          renderTimeMsTotal: stats.renderTimeMsTotal + Math.round(result.renderTimeSeconds * 1000),
        });
        log.info('frame rendered', { job: job.id, frame: job.frame, seconds: result.renderTimeSeconds });
        return undefined;
      }, frameNotStored);
    return { kind: 'rendered', stored };
  }

  private async download(md5: string, url: string, signal: AbortSignal): Promise<string> {
    const { cache, store } = this.options;
    let counted = 0;
    const file = await cache.ensure({
      md5,
      url,
      headers: this.options.farmHeaders(url),
      signal,
      onRetry: (reason) => this.options.log.warn('download failed, retrying', { md5, reason }),
      onProgress: (progress: DownloadProgress) => {
        store.updateLocal({ downloadedBytes: store.local.downloadedBytes + (progress.bytes - counted) });
        if (progress.bytesPerSecond > 0 && progress.bytes === progress.total) {
          this.downloadBytes += progress.bytes;
          this.downloadSeconds += progress.bytes / progress.bytesPerSecond;
        }
        counted = progress.bytes;
        const fraction = progress.total ? progress.bytes / progress.total : null;
        this.progress('download', fraction, progress.etaSeconds ?? null);
      },
    });
    if (counted > 0) this.options.onTraffic();
    return file;
  }

  private phase(phase: JobPhase): void {
    this.progress(phase, null, null);
  }

  /**
   * Blender's output said which device renders: the job shows it, and a device other than the chosen
   * one is a warning (once per job and sentence) instead of a silent CPU render.
   */
  private deviceReported(job: Job, device: RenderDeviceCheck): void {
    const previous = this.device;
    this.device = device;
    const current = this.options.store.state.job;
    if (current?.id === job.id) {
      const { deviceChosen: _earlier, ...rest } = current;
      this.options.store.update({
        job: { ...rest, device: device.used, ...(device.chosen && { deviceChosen: device.chosen }) },
      });
    }
    if (device.mismatch && device.mismatch !== previous?.mismatch) {
      const advice =
        device.chosen === 'CPU' ? '' : ': check that the GPU is there, enabled and its driver loads';
      this.options.log.warn(`not the chosen device: ${device.mismatch}${advice}`, {
        job: job.id,
        frame: job.frame,
        device: device.used,
        ...(device.chosen && { chosen: device.chosen }),
      });
    }
  }

  /** The frame's device for its record: what Blender used, and the chosen one when it differs. */
  private frameDevice(): { device?: FrameDevice } {
    const device = this.device;
    if (!device) return {};
    return { device: { used: device.used, ...(device.chosen && { chosen: device.chosen }) } };
  }

  private progress(phase: JobPhase, progress: number | null, etaSeconds: number | null): void {
    const job = this.options.store.state.job;
    if (!job) return;
    this.times?.enter(phase);
    const bounded = progress === null ? null : Math.min(1, Math.max(0, progress));
    this.options.store.update({ job: { ...job, phase, progress: bounded, etaSeconds } });
  }
}

function facts(result: RenderFacts): JobFacts {
  const { renderTimeSeconds, memoryUsedKiB, blenderVersion } = result;
  return { renderTimeSeconds, memoryUsedKiB, ...(blenderVersion === undefined ? {} : { blenderVersion }) };
}

function frameNotStored(error: unknown): JobFailure {
  const { errorType, message } = failure(error);
  return {
    kind: 'failed',
    errorType,
    message: `the rendered frame could not be stored for upload: ${message}`,
  };
}

function failure(error: unknown): JobFailure {
  const message = error instanceof Error ? error.message : String(error);
  // A full disk anywhere (download, extraction, the cache's memo, the frame's move into the queue)
  // is "no space left" (100), never a permission problem.
  if (
    isNoSpace(error) ||
    (error instanceof DownloadError && error.kind === 'no-space') ||
    (error instanceof ArchiveError && error.kind === 'no-space')
  ) {
    return {
      kind: 'failed',
      errorType: ErrorType.NO_SPACE_LEFT_ON_DEVICE,
      message: `no space left: ${message}`,
    };
  }
  if (error instanceof DownloadError) {
    return {
      kind: 'failed',
      errorType: ErrorType.DOWNLOAD_FILE,
      message: `download failed (${error.kind}): ${message}`,
    };
  }
  if (error instanceof UnsafePathError || isProtocolError(error)) {
    const type = ErrorType.ERROR_BAD_SERVER_RESPONSE;
    return { kind: 'failed', errorType: type, message: `the farm sent a job the agent refuses: ${message}` };
  }
  if (error instanceof ArchiveError) {
    const type = error.kind === 'io' ? ErrorType.NO_WRITE_PERMISSION : ErrorType.UNKNOWN;
    return { kind: 'failed', errorType: type, message: `archive refused (${error.kind}): ${message}` };
  }
  return { kind: 'failed', errorType: ErrorType.UNKNOWN, message };
}

/** Job ids come from the farm: never let one name a path outside the jobs dir. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'job';
}
