// Idle for lack of disk space: the free space of the archive dir is read every few seconds (one
// statfs, no farm call) and the loop goes on as soon as space was freed, instead of a fixed pause.
import type { NotRenderingReason } from '@flock/protocol';
import type { Controls } from '../controls/index.js';
import type { FreeBytes } from '../disk.js';
import type { Logger } from '../log/index.js';
import type { LoopWaits } from './loop-waits.js';

/** How often the free space is read while the disk is full. */
export const DISK_SPACE_POLL_MS = 10_000;
/** Free space gained since the disk was found full that counts as "space is back". */
export const DISK_SPACE_REGAINED_BYTES = 64 * 1024 ** 2;

export interface DiskSpace {
  /** The directory whose file system filled up (the archive cache). */
  dir: string;
  freeBytes: FreeBytes;
}

/** Waits until space is back, or the user stops, pauses or asks to retry now. */
export async function waitForDiskSpace(
  disk: DiskSpace,
  loop: {
    controls: Controls;
    log: Logger;
    waits: LoopWaits;
    idle: (reason: NotRenderingReason) => void;
  },
): Promise<void> {
  const { controls, log, waits } = loop;
  const read = (fallback: number) => disk.freeBytes(disk.dir).catch(() => fallback);
  const atStart = await read(0);
  const retries = controls.retries;
  loop.idle({
    code: 'disk-full',
    message: `The disk is full: free some space for ${disk.dir}; rendering goes on by itself once there is.`,
    until: null,
  });
  log.warn('disk full: waiting for free space', { dir: disk.dir, freeBytes: atStart });
  while (!controls.stopRequested && !controls.paused && controls.retries === retries) {
    await waits.sleep(DISK_SPACE_POLL_MS);
    const free = await read(atStart);
    if (free >= atStart + DISK_SPACE_REGAINED_BYTES) {
      log.info('disk space is back', { dir: disk.dir, freeBytes: free });
      return;
    }
  }
}
