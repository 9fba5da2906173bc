// One file over HTTP with undici: streamed to `<destination>.partial` while its MD5 is computed in
// the same pass, resumed with a Range request when the connection is cut (restarted when the
// server ignores ranges), retried when the MD5 is wrong, renamed into place only when verified.
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Dispatcher, request } from 'undici';
import { type Clock, systemClock } from '../clock.js';
import { DEFAULT_RESERVE_BYTES, type FreeBytes, freeBytesIn, isNoSpace } from '../disk.js';
import { DownloadError } from './errors.js';
import { type DownloadProgress, ProgressMeter } from './progress.js';
import { RateFloor, type RateFloorOptions } from './rate-floor.js';

export interface DownloadFileOptions {
  url: string;
  /** Final path; bytes go to `<destination>.partial` until verified. */
  destination: string;
  /** Expected lower-case hex MD5 of the whole file. */
  md5: string;
  /** undici Agent or ProxyAgent; default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Sent with every request, resumes included: the farm's session cookie and the User-Agent. */
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Called with the reason after each failed request that will be retried. */
  onRetry?: (reason: string) => void;
  /** Minimum time between progress events. Default 500 ms. */
  progressIntervalMs?: number;
  /** Attempts that fail without progress (bad status, wrong MD5, dead connection). Default 5. */
  maxAttempts?: number;
  /** Wait before attempt `n + 1` after `n` failures. Default 1 s doubling, at most 15 s. */
  backoffMs?: (failures: number) => number;
  clock?: Clock;
  /** Free space to keep beyond the file itself. Default 512 KiB (the official client's threshold). */
  reserveBytes?: number;
  /** Free bytes in a directory; injectable for tests. Default: `fs.statfs`. */
  freeBytes?: FreeBytes;
  /** A request below this rate for a whole window is cut and counts as a failed attempt. Default 1 KiB/s over 60 s. */
  rateFloor?: RateFloorOptions;
}

export interface DownloadFileResult {
  path: string;
  md5: string;
  bytes: number;
  /** Requests made, including resumes. */
  requests: number;
}

export const defaultBackoff = (failures: number) => Math.min(15_000, 1000 * 2 ** Math.max(0, failures - 1));

interface Transfer {
  handle: FileHandle;
  hash: Hash;
  /** Bytes written to the partial file (and fed to the hash), always in lockstep. */
  offset: number;
  total: number | undefined;
  /** The furthest offset ever reached: only a cut beyond it counts as progress (no endless restarts). */
  highWater: number;
  /**
   * The file may not grow past this offset: the free space (less the reserve) measured when this
   * request's answer began. A body without Content-Length that never ends stops here.
   */
  limit: number;
}

/** A failure that may be retried: `counts` is false when the attempt still made progress. */
class RetryableFailure extends Error {
  constructor(
    readonly kind: 'http' | 'md5-mismatch' | 'network',
    message: string,
    readonly counts: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function downloadFile(options: DownloadFileOptions): Promise<DownloadFileResult> {
  const clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? 5;
  const partialPath = `${options.destination}.partial`;
  const meter = new ProgressMeter(clock, options.progressIntervalMs ?? 500, options.onProgress);
  await assertFreeSpace(options, 0);
  const handle = await open(partialPath, 'w').catch((error) => {
    throw new DownloadError(
      isNoSpace(error) ? 'no-space' : 'io',
      `cannot create ${partialPath}: ${(error as Error).message}`,
      { cause: error },
    );
  });
  const transfer: Transfer = {
    handle,
    hash: createHash('md5'),
    offset: 0,
    total: undefined,
    highWater: 0,
    limit: Number.POSITIVE_INFINITY,
  };
  let failures = 0;
  let requests = 0;
  let lastFailure: RetryableFailure | undefined;
  let ownsPartial = true;
  try {
    while (failures < maxAttempts) {
      options.signal?.throwIfAborted();
      requests++;
      try {
        await fetchInto(options, transfer, meter);
        const md5 = transfer.hash.copy().digest('hex');
        if (md5 !== options.md5.toLowerCase()) {
          restart(transfer);
          await handle.truncate(0);
          throw new RetryableFailure('md5-mismatch', `MD5 ${md5} instead of ${options.md5}`, true);
        }
        ownsPartial = await commit(handle, partialPath, options.destination);
        if (!ownsPartial)
          throw new DownloadError('io', `${partialPath} was taken over by another downloader`);
        return { path: options.destination, md5, bytes: transfer.offset, requests };
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        lastFailure = error;
        if (error.counts) failures++;
        if (failures < maxAttempts) {
          options.onRetry?.(error.message);
          await clock.sleep((options.backoffMs ?? defaultBackoff)(failures), options.signal);
        }
      }
    }
    const kind = lastFailure?.kind ?? 'network';
    throw new DownloadError(
      kind,
      `${options.url}: giving up after ${failures} failed attempts: ${lastFailure?.message}`,
      {
        cause: lastFailure,
        attempts: failures,
      },
    );
  } catch (error) {
    await handle.close().catch(() => {});
    if (ownsPartial) await rm(partialPath, { force: true }).catch(() => {});
    if (options.signal?.aborted) {
      throw new DownloadError('aborted', `${options.url}: download aborted`, {
        cause: options.signal.reason,
      });
    }
    throw error;
  }
}

function restart(transfer: Transfer): void {
  transfer.offset = 0;
  transfer.hash = createHash('md5');
  transfer.total = undefined;
}

/**
 * One request: resumes at `transfer.offset` when possible, appends the body to the partial file.
 * A request that stays below the rate floor is cut, and that counts as a failed attempt even when
 * it got further: a farm dripping a few bytes per resume must not hold the download for ever.
 */
async function fetchInto(
  options: DownloadFileOptions,
  transfer: Transfer,
  meter: ProgressMeter,
): Promise<void> {
  const attempt = new AbortController();
  const floor = new RateFloor(options.clock ?? systemClock, options.rateFloor, (why) => attempt.abort(why));
  const signal = options.signal ? AbortSignal.any([options.signal, attempt.signal]) : attempt.signal;
  floor.start();
  try {
    await fetchWatched(options, transfer, meter, floor, signal);
  } finally {
    floor.stop();
  }
}

async function fetchWatched(
  options: DownloadFileOptions,
  transfer: Transfer,
  meter: ProgressMeter,
  floor: RateFloor,
  signal: AbortSignal,
): Promise<void> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(options.url, {
      method: 'GET',
      headers: { ...options.headers, ...(transfer.offset > 0 ? { range: `bytes=${transfer.offset}-` } : {}) },
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      signal,
    });
  } catch (error) {
    throw networkFailure(options, error, false, floor);
  }
  await prepareBody(options, transfer, response);
  const batch = new WriteBatch(transfer, meter);
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      floor.add(chunk.length);
      await batch.add(chunk);
    }
    await batch.flush();
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    await batch.flush(); // what arrived before the cut is good: keep it for the resume
    throw networkFailure(options, error, reachedFurther(transfer), floor);
  }
  meter.update(transfer.offset, transfer.total, 0, true);
  if (transfer.total !== undefined && transfer.offset !== transfer.total) {
    const message = `body ended at ${transfer.offset} of ${transfer.total} bytes`;
    throw new RetryableFailure('network', message, !reachedFurther(transfer));
  }
}

/** Whether this attempt got further than any before (then its failure does not count). */
function reachedFurther(transfer: Transfer): boolean {
  const further = transfer.offset > transfer.highWater;
  transfer.highWater = Math.max(transfer.highWater, transfer.offset);
  return further;
}

/** Checks the status, decides between resuming and restarting, checks free space. */
async function prepareBody(
  options: DownloadFileOptions,
  transfer: Transfer,
  response: Dispatcher.ResponseData,
) {
  const resumedAt =
    response.statusCode === 206 ? contentRangeStart(response.headers['content-range']) : undefined;
  if (transfer.offset > 0 && resumedAt === transfer.offset) {
    transfer.total = contentRangeTotal(response.headers['content-range']);
  } else if (response.statusCode === 200) {
    if (transfer.offset > 0) {
      restart(transfer); // the server ignored the Range header: start over
      await transfer.handle.truncate(0);
    }
    const length = Number(response.headers['content-length']);
    transfer.total = Number.isFinite(length) && length >= 0 ? length : undefined;
  } else {
    await response.body.dump().catch(() => {});
    if (response.statusCode === 206) {
      restart(transfer); // a range we did not ask for: ask for the whole file next time
      await transfer.handle.truncate(0);
    }
    throw new RetryableFailure('http', `HTTP ${response.statusCode} from ${options.url}`, true);
  }
  const free = await assertFreeSpace(options, (transfer.total ?? 0) - transfer.offset).catch(
    async (error) => {
      await response.body.dump().catch(() => {});
      throw error;
    },
  );
  transfer.limit = transfer.offset + free - reserveOf(options);
}

/** Bytes are written (and hashed) in batches of this size: one syscall per 1 MiB, not per 64 KiB. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/**
 * Copies the body into 1 MiB batches, each written (and hashed) in one go. Two batch buffers take
 * turns: one is written while the next fills, so the 64 KiB socket chunks are dropped as soon as
 * they are copied. Held until written, they outlived young GCs: at loopback speed ~35 MiB of them
 * waited for a full GC, and the agent grew past 100 MB during a 1 GiB download. `offset`
 * moves only when a write has landed, and `flush` waits for it, so after `flush` the file, the
 * offset and the hash agree (what a resume relies on).
 */
class WriteBatch {
  private filling = Buffer.allocUnsafeSlow(WRITE_BATCH_BYTES);
  private spare = Buffer.allocUnsafeSlow(WRITE_BATCH_BYTES);
  private size = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private inFlightBytes = 0;

  constructor(
    private readonly transfer: Transfer,
    private readonly meter: ProgressMeter,
  ) {}

  async add(chunk: Buffer): Promise<void> {
    let copied = 0;
    while (copied < chunk.length) {
      const n = chunk.copy(this.filling, this.size, copied);
      copied += n;
      this.size += n;
      if (this.size === WRITE_BATCH_BYTES) await this.startWrite();
    }
    const received = this.transfer.offset + this.inFlightBytes + this.size;
    if (received > this.transfer.limit) {
      throw new DownloadError('no-space', `the download outgrew the free space (${received} bytes so far)`);
    }
    this.meter.update(received, this.transfer.total, chunk.length);
  }

  /** Writes what is batched and waits until everything is on disk. */
  async flush(): Promise<void> {
    await this.startWrite();
    await this.inFlight;
  }

  private async startWrite(): Promise<void> {
    await this.inFlight; // the spare buffer is free again once its write has landed
    if (this.size === 0) return;
    const { transfer, size } = this;
    const batch = this.filling.subarray(0, size);
    [this.filling, this.spare] = [this.spare, this.filling];
    this.size = 0;
    this.inFlightBytes = size;
    this.inFlight = writeAll(transfer.handle, batch, transfer.offset).then(
      () => {
        transfer.offset += size;
        this.inFlightBytes = 0;
      },
      (error: NodeJS.ErrnoException) => {
        const kind = isNoSpace(error) ? 'no-space' : 'io';
        throw new DownloadError(kind, `writing the download failed: ${error.message}`, { cause: error });
      },
    );
    this.inFlight.catch(() => {}); // surfaced by the next add/flush, never unhandled
    transfer.hash.update(batch);
  }
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

function networkFailure(
  options: DownloadFileOptions,
  error: unknown,
  madeProgress: boolean,
  floor: RateFloor,
): Error {
  if (options.signal?.aborted) return error as Error;
  if (floor.tripped) {
    return new RetryableFailure('network', `${options.url}: ${floor.tripped.message}`, true, {
      cause: error,
    });
  }
  return new RetryableFailure('network', `${options.url}: ${(error as Error).message}`, !madeProgress, {
    cause: error,
  });
}

/** Returns the free bytes of the destination's directory, refusing when `bytesNeeded` do not fit. */
async function assertFreeSpace(options: DownloadFileOptions, bytesNeeded: number): Promise<number> {
  const dir = path.dirname(options.destination);
  const free = await (options.freeBytes ?? freeBytesIn)(dir);
  const needed = bytesNeeded + reserveOf(options);
  if (free < needed) {
    throw new DownloadError('no-space', `${dir} has ${free} bytes free, ${needed} needed for ${options.url}`);
  }
  return free;
}

function reserveOf(options: DownloadFileOptions): number {
  return options.reserveBytes ?? DEFAULT_RESERVE_BYTES;
}

/**
 * Renames the verified partial file into place and returns true, unless another process took the
 * `.partial` name over meanwhile (shared download dir): the name is then someone else's (false).
 */
async function commit(handle: FileHandle, partialPath: string, destination: string): Promise<boolean> {
  const [ours, atPath] = await Promise.all([handle.stat(), stat(partialPath).catch(() => undefined)]);
  await handle.close();
  if (!atPath || atPath.ino !== ours.ino || atPath.dev !== ours.dev) return false;
  await rename(partialPath, destination);
  return true;
}

function contentRangeStart(header: string | string[] | undefined): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(header ?? ''));
  return match ? Number(match[1]) : undefined;
}

function contentRangeTotal(header: string | string[] | undefined): number | undefined {
  const match = /^bytes \d+-\d+\/(\d+)$/.exec(String(header ?? ''));
  return match ? Number(match[1]) : undefined;
}
