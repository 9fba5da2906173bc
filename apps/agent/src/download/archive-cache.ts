// The agent's archive cache: `<dir>/<md5>.zip`, with MD5s memoised by (size, mtime) so listing the
// cache for a job request reads no archive, an optional shared download dir between agents, the
// server-driven delete and the start-up cleanup (docs/protocol.md §3.4). Jobs lease the archives they
// use (several sessions share one cache): a leased archive is never removed, and an optional size
// budget evicts the least recently used of the others after each download.
import { existsSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { MD5_HEX } from '@flock/protocol';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock.js';
import { fileIn, UnsafePathError } from '../confined-path.js';
import type { Logger } from '../log/index.js';
import { type ArchiveLease, ArchiveLeases } from './archive-leases.js';
import { archivesToEvict } from './cache-budget.js';
import { type DownloadFileOptions, downloadFile } from './download-file.js';
import { MD5_ZIP_NAME, md5File } from './md5.js';
import { Md5Memo } from './md5-memo.js';
import type { DownloadProgress } from './progress.js';
import { fetchIntoSharedDir, type SharedDirOptions } from './shared-dir.js';

export const MEMO_FILE_NAME = '.flock-md5-memo.json';

export interface ArchiveCacheOptions {
  /** Directory holding `<md5>.zip` (and the archives' extraction dirs `<md5>/`). */
  dir: string;
  /** Download dir shared between agents on this machine (`--shared-zip`). */
  sharedDir?: string;
  dispatcher?: Dispatcher;
  clock?: Clock;
  /** Forwarded to every download (retries, back-off, progress interval, disk-space probe, rate floor). */
  download?: Pick<
    DownloadFileOptions,
    'maxAttempts' | 'backoffMs' | 'progressIntervalMs' | 'reserveBytes' | 'freeBytes' | 'rateFloor'
  >;
  /** Shared-dir polling and staleness (see SharedDirOptions). */
  shared?: Pick<SharedDirOptions, 'pollMs' | 'staleAfterMs' | 'maxWaitMs'>;
  /** Names in `dir` that start-up cleanup must leave alone (e.g. the persisted upload queue). */
  preserve?: readonly string[];
  /** Hashes a whole file; injectable so tests can count reads. Default: streaming MD5. */
  hashFile?: (file: string) => Promise<string>;
  /** Size budget of the archives in `dir` (`--cache-max-size`); default none. */
  maxBytes?: number;
  /** Other dirs holding an archive's extraction dir `<md5>/` (the renderers'), removed with the archive. */
  extractionDirs?: readonly string[];
  /** Evictions, removals put off while a job uses the archive, failures to remove. */
  log?: Logger;
}

export interface EnsureRequest {
  md5: string;
  url: string;
  /** Sent with every request of the download (the farm's session cookie, the User-Agent). */
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Called with the reason after each failed request that will be retried. */
  onRetry?: (reason: string) => void;
}

export interface CleanupReport {
  removed: string[];
  /** Archives that had to be hashed (unknown or changed since last memoised). */
  hashed: number;
}

export class ArchiveCache {
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly leases = new ArchiveLeases();
  /** Archives being removed (delete or eviction), by MD5: a job asking for one waits, then downloads it again. */
  private readonly removals = new Map<string, Promise<void>>();
  /** Archives the farm asked to delete while a job held them: gone at the release, no longer listed. */
  private readonly pendingDeletes = new Set<string>();
  /** Removals started by a release (a put-off delete, a cleanup leftover), until they end. */
  private readonly background = new Set<Promise<void>>();
  /** Archives already reported as larger than the budget (said once each). */
  private readonly oversizeNoted = new Set<string>();
  private readonly hashFile: (file: string) => Promise<string>;
  private readonly clock: Clock;

  private constructor(
    private readonly options: ArchiveCacheOptions,
    private readonly memo: Md5Memo,
  ) {
    this.hashFile = options.hashFile ?? md5File;
    this.clock = options.clock ?? systemClock;
  }

  static async open(options: ArchiveCacheOptions): Promise<ArchiveCache> {
    await mkdir(options.dir, { recursive: true });
    if (options.sharedDir) await mkdir(options.sharedDir, { recursive: true });
    return new ArchiveCache(options, await Md5Memo.load(path.join(options.dir, MEMO_FILE_NAME)));
  }

  /** `<dir>/<md5>.zip`; anything but 32 hex digits is refused (UnsafePathError), never joined. */
  pathFor(md5: string): string {
    return fileIn(this.options.dir, archiveName(md5));
  }

  /**
   * MD5s of the verified archives in the cache, for the job request's `<cache>` body. Only what the
   * memo vouches for can be listed, so its names are the candidates (no readdir on every request):
   * one stat per archive, never a read. A file that changed since it was verified, or is gone, is
   * left out (the next cleanup re-verifies it).
   */
  cachedMd5s(): string[] {
    return this.memo
      .names()
      .filter((name) => MD5_ZIP_NAME.test(name) && this.memoVouches(path.join(this.options.dir, name)))
      .map((name) => name.slice(0, 32))
      .filter((md5) => !this.pendingDeletes.has(md5));
  }

  /**
   * Holds the archives for a job (once per MD5 given): until `release`, neither the farm's delete,
   * nor the budget, nor a cleanup removes them or their extraction dirs. Each one counts as used now
   * for the budget's LRU order, which the memo keeps across restarts. Throws UnsafePathError for
   * anything but an MD5, before holding any.
   */
  acquire(...md5s: string[]): ArchiveLease {
    const names = md5s.map(archiveName);
    const now = this.clock.now();
    for (const name of names) this.memo.touch(name, now);
    if (names.some((name) => this.memo.has(name))) this.saveMemoLater();
    return this.leases.acquire(names.map((name) => name.slice(0, 32)));
  }

  /** True while a job holds the archive (or it is being downloaded): nothing removes it then. */
  isInUse(md5: string): boolean {
    const key = md5.toLowerCase();
    return this.leases.isLeased(key) || this.inFlight.has(key);
  }

  /** The local path of the archive when the cache holds it verified (as `ensure` checks first), else undefined; a corrupt copy is removed. */
  async verified(md5: string): Promise<string | undefined> {
    const local = this.pathFor(md5);
    await this.removalDone(md5.toLowerCase());
    return (await this.isVerified(local, md5.toLowerCase())) ? local : undefined;
  }

  /** Returns the local path of the archive, downloading it (or taking it from the shared dir) if needed. */
  ensure(request: EnsureRequest): Promise<string> {
    const md5 = request.md5.toLowerCase();
    const running = this.inFlight.get(md5);
    if (running) return running;
    const work = this.obtain({ ...request, md5 }).finally(() => this.inFlight.delete(md5));
    this.inFlight.set(md5, work);
    return work;
  }

  private async obtain(request: EnsureRequest): Promise<string> {
    const local = this.pathFor(request.md5);
    await this.removalDone(request.md5);
    if (await this.isVerified(local, request.md5)) return local;
    const downloadOptions = {
      ...this.options.download,
      url: request.url,
      ...(request.headers ? { headers: request.headers } : {}),
      clock: this.clock,
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.onRetry ? { onRetry: request.onRetry } : {}),
    };
    if (this.options.sharedDir) {
      const shared = await fetchIntoSharedDir(request.md5, downloadOptions, {
        ...this.options.shared,
        sharedDir: this.options.sharedDir,
        clock: this.clock,
      });
      await linkOrCopy(shared.path, local);
    } else {
      await downloadFile({ ...downloadOptions, destination: local, md5: request.md5 });
    }
    // Either verified while streaming, or (shared dir) verified by the agent that downloaded it.
    await this.remember(local, request.md5, this.clock.now());
    await this.keepWithinBudget(request.md5);
    return local;
  }

  /**
   * True when `file` is known (memo) or found (one hash, then memoised) to have this MD5. A file with
   * another MD5 is removed at once, so a later check (the job's, then `ensure`'s) never hashes it again.
   */
  private async isVerified(file: string, md5: string): Promise<boolean> {
    if (this.memoVouches(file)) return true;
    if (!existsSync(file)) return false;
    if ((await this.hashFile(file)) !== md5) {
      await rm(file, { force: true });
      return false;
    }
    await this.remember(file, md5);
    return true;
  }

  /**
   * True when the file is there with the size and mtime it had when its name's MD5 was verified. One
   * synchronous stat: the job request and the job's start ask for every frame, and a thread-pool hop
   * costs more than the stat while the machine renders.
   */
  private memoVouches(file: string): boolean {
    const info = statSync(file, { throwIfNoEntry: false });
    const name = path.basename(file);
    return info !== undefined && this.memo.lookup(name, info) === name.slice(0, 32);
  }

  private async remember(file: string, md5: string, usedAt?: number): Promise<void> {
    const info = await stat(file);
    this.memo.record(path.basename(file), info, md5, usedAt);
    await this.memo.save();
  }

  /** A job's use recorded on disk without making it wait; a failure only costs LRU precision. */
  private saveMemoLater(): void {
    this.memo
      .save()
      .catch((error: Error) =>
        this.options.log?.warn('cannot save the archive memo', { error: error.message }),
      );
  }

  /**
   * Server-driven `<file md5="…" action="delete"/>`: the zip, its extraction dirs, and the shared
   * copy; an archive a job holds goes once the last job releases it.
   */
  async delete(md5: string): Promise<void> {
    const key = archiveName(md5).slice(0, 32);
    if (this.leases.isLeased(key)) {
      this.options.log?.info('archive in use: removed when its jobs end', { md5: key });
      this.pendingDeletes.add(key);
      this.leases.whenFree(key, () => {
        this.pendingDeletes.delete(key);
        this.inBackground(this.remove(key), { md5: key });
      });
      return;
    }
    await this.remove(key);
  }

  /** Resolves once a removal of the archive in progress has ended, however it ended. */
  private async removalDone(md5: string): Promise<void> {
    await this.removals.get(md5)?.catch(() => undefined);
  }

  /** Removes the archive everywhere; `verified`/`ensure` for it wait until it is gone. */
  private remove(md5: string): Promise<void> {
    const running = this.removals.get(md5);
    if (running) return running;
    const name = archiveName(md5);
    this.memo.forget(name); // at once: the job request lists it no more
    const removal = (async () => {
      await rm(fileIn(this.options.dir, name), { force: true });
      for (const dir of [this.options.dir, ...(this.options.extractionDirs ?? [])]) {
        await rm(fileIn(dir, md5), { recursive: true, force: true });
      }
      if (this.options.sharedDir) await rm(fileIn(this.options.sharedDir, name), { force: true });
      await this.memo.save();
    })().finally(() => this.removals.delete(md5));
    this.removals.set(md5, removal);
    return removal;
  }

  /**
   * With a budget: removes the least recently used archives no job holds until the cache fits (the
   * one just downloaded stays, even alone over the budget: it still renders, said once in the log).
   */
  private async keepWithinBudget(fresh: string): Promise<void> {
    const { maxBytes, log } = this.options;
    if (maxBytes === undefined) return;
    const archives = this.memo
      .uses()
      .filter((use) => MD5_ZIP_NAME.test(use.name))
      .map((use) => ({ md5: use.name.slice(0, 32), size: use.size, usedAt: use.usedAt }));
    const freshSize = archives.find((archive) => archive.md5 === fresh)?.size ?? 0;
    if (freshSize > maxBytes && !this.oversizeNoted.has(fresh)) {
      this.oversizeNoted.add(fresh);
      log?.warn('archive larger than the cache budget: kept while in use, removed at a later eviction', {
        md5: fresh,
        bytes: freshSize,
        maxBytes,
      });
    }
    const inUse = (md5: string) => md5 === fresh || this.isInUse(md5);
    for (const md5 of archivesToEvict(archives, maxBytes, inUse)) {
      // Re-checked at each step: a job may have taken an archive while an earlier one was removed.
      if (this.isInUse(md5)) continue;
      await this.remove(md5).then(
        () => log?.info('archive evicted to stay within the cache budget', { md5, maxBytes }),
        (error: Error) => log?.warn('cannot remove archive', { md5, error: error.message }),
      );
    }
  }

  /**
   * Start-up cleanup (docs/protocol.md §3.4): removes sub-directories, files that are not
   * `<md5>.zip` (except the memo and `preserve`d names) and archives whose MD5 is not their name.
   * Only archives the memo does not vouch for are hashed. Whatever belongs to an archive a job holds
   * (its zip, its extraction dir, a download in progress) is left alone.
   */
  async cleanup(): Promise<CleanupReport> {
    const report: CleanupReport = { removed: [], hashed: 0 };
    const present = new Set<string>();
    for (const item of await readdir(this.options.dir, { withFileTypes: true })) {
      // The memo and its temp file (a save may be under way while jobs run).
      if (item.name.startsWith(MEMO_FILE_NAME) || this.options.preserve?.includes(item.name)) continue;
      const file = path.join(this.options.dir, item.name);
      const owner = /^[0-9a-f]{32}/.exec(item.name)?.[0];
      if (owner !== undefined && this.isInUse(owner)) {
        // The zip is verified by the job itself; anything else of it waits for the job's end.
        if (MD5_ZIP_NAME.test(item.name)) {
          if (this.memo.has(item.name)) present.add(item.name);
        } else if (!this.inFlight.has(owner)) this.removeWhenFree(owner, item.name, report);
        continue;
      }
      if (item.isFile() && MD5_ZIP_NAME.test(item.name)) {
        const info = await stat(file);
        const expected = item.name.slice(0, 32);
        let md5 = this.memo.lookup(item.name, info);
        if (md5 === undefined) {
          md5 = await this.hashFile(file);
          report.hashed++;
          this.memo.record(item.name, info, md5);
        }
        if (md5 === expected) {
          present.add(item.name);
          continue;
        }
      }
      await rm(file, { recursive: true, force: true });
      report.removed.push(item.name);
    }
    for (const name of this.memo.names()) if (!present.has(name)) this.memo.forget(name);
    await this.memo.save();
    return report;
  }

  /** A leftover of an archive a job holds (counted as removed): removed once the job releases it. */
  private removeWhenFree(md5: string, name: string, report: CleanupReport): void {
    report.removed.push(name);
    this.leases.whenFree(md5, () => {
      this.inBackground(rm(path.join(this.options.dir, name), { recursive: true, force: true }), { name });
    });
  }

  /** A removal nobody awaits: logged if it fails, awaited by `settled`. */
  private inBackground(removal: Promise<void>, fields: Record<string, string>): void {
    const tracked = removal
      .catch((error: Error) =>
        this.options.log?.warn('cannot remove archive', { ...fields, error: error.message }),
      )
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Resolves once the removals started so far and the memo's saves have ended (before exit, in tests). */
  async settled(): Promise<void> {
    await Promise.all([
      ...this.background,
      ...[...this.removals.values()].map((removal) => removal.catch(() => undefined)),
    ]);
    await this.memo.settled();
  }
}

/** `<md5>.zip` (lower-case) for an archive MD5; anything else is refused. */
function archiveName(md5: string): string {
  if (!MD5_HEX.test(md5)) {
    throw new UnsafePathError(`not an archive MD5 (32 hex digits): ${JSON.stringify(md5.slice(0, 100))}`);
  }
  return `${md5.toLowerCase()}.zip`;
}

/** Hard link (as the official client), falling back to a copy across file systems or where links are not allowed. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    await copyFile(from, to);
  }
}
