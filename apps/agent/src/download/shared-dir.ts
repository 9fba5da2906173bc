// The shared download directory between agents on one machine (docs/protocol.md §3.2): whoever
// creates `<md5>.zip.partial` (O_EXCL, so exactly one wins) downloads; the others poll until the
// zip appears, and take over a `.partial` that stopped changing (its downloader died).
import { randomUUID } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import { fileIn } from '../confined-path.js';
import { type DownloadFileOptions, type DownloadFileResult, downloadFile } from './download-file.js';
import { DownloadError } from './errors.js';

export interface SharedDirOptions {
  sharedDir: string;
  clock: Clock;
  /** Poll period while another agent downloads. Default 1 s. */
  pollMs?: number;
  /**
   * A `.partial` whose size and mtime did not change for this long is abandoned. Default 2 min,
   * beyond the 60 s idle timeout after which a live download would have failed anyway.
   */
  staleAfterMs?: number;
  /** Give up waiting after this long. Default 30 min (the official client's). */
  maxWaitMs?: number;
}

export interface SharedFetchResult {
  path: string;
  /** The download this agent made, or undefined when another agent's file was used. */
  download: DownloadFileResult | undefined;
}

/** Makes `<sharedDir>/<md5>.zip` exist (downloading it or waiting for another agent) and returns its path. */
export async function fetchIntoSharedDir(
  md5: string,
  download: Omit<DownloadFileOptions, 'destination' | 'md5'>,
  shared: SharedDirOptions,
): Promise<SharedFetchResult> {
  const target = fileIn(shared.sharedDir, `${md5}.zip`);
  const partial = `${target}.partial`;
  const waitUntil = shared.clock.now() + (shared.maxWaitMs ?? 30 * 60_000);
  let watched: { signature: string; since: number } | undefined;
  for (;;) {
    download.signal?.throwIfAborted();
    if (await exists(target)) return { path: target, download: undefined };
    if (await tryCreate(partial)) {
      // The previous owner may have renamed its finished `.partial` between our two checks.
      if (await exists(target)) {
        await rm(partial, { force: true });
        return { path: target, download: undefined };
      }
      return { path: target, download: await downloadFile({ ...download, destination: target, md5 }) };
    }
    const signature = await partialSignature(partial);
    if (signature === undefined) continue; // finished or abandoned meanwhile: look again
    const now = shared.clock.now();
    if (watched?.signature !== signature) watched = { signature, since: now };
    else if (now - watched.since >= (shared.staleAfterMs ?? 120_000)) {
      await takeOver(partial);
      watched = undefined;
      continue;
    }
    if (now >= waitUntil) {
      throw new DownloadError('shared-timeout', `waited too long for another agent to download ${target}`);
    }
    await shared.clock.sleep(shared.pollMs ?? 1000, download.signal);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    await (await open(file, 'wx')).close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new DownloadError('io', `cannot create ${file}: ${(error as Error).message}`, { cause: error });
  }
}

async function partialSignature(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info && `${info.size}:${info.mtimeMs}:${info.ino}`;
}

/** Moves the stale `.partial` aside (atomic: one taker wins) and deletes it. */
async function takeOver(partial: string): Promise<void> {
  const aside = `${partial}.stale-${randomUUID()}`;
  try {
    await rename(partial, aside);
  } catch {
    return; // someone else took it over first
  }
  await rm(aside, { force: true });
}
