// Disk facts shared by every writer of farm data (downloads, extraction, the job's files): free
// space, and whether an error means "the disk is full" rather than "not allowed".
import { statfs } from 'node:fs/promises';
import type { DiskSpace } from '@flock/protocol';

export type { DiskSpace };

/** Free bytes for this process in `dir`'s file system; injectable where tests need a small disk. */
export type FreeBytes = (dir: string) => Promise<number>;

export const freeBytesIn: FreeBytes = async (dir) => {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
};

/** Free (for this process) and total bytes of `dir`'s file system. */
export async function diskSpaceIn(dir: string): Promise<DiskSpace> {
  const info = await statfs(dir);
  return { freeBytes: info.bavail * info.bsize, totalBytes: info.blocks * info.bsize };
}

/** Space left free beyond what a download or an extraction needs (the official client stops below 512 KiB). */
export const DEFAULT_RESERVE_BYTES = 512 * 1024;

/** ENOSPC (device full) and EDQUOT (quota exceeded): both mean "no space left", error type 100. */
export function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
