// A small tmpfs to fill a disk for real (ENOSPC from the kernel, not a simulation). Mounting needs
// root; where it is not possible the tests that need it are skipped with a loud warning.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `bytes`; undefined when this machine does not allow it. */
export function mountTmpfs(bytes: number): Tmpfs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'flock-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a tmpfs can be mounted here; warns loudly when not. */
export function canMountTmpfs(): boolean {
  const probe = mountTmpfs(64 * 1024);
  probe?.unmount();
  if (!probe)
    console.warn('\n!!! cannot mount a tmpfs (needs root): the real disk-full tests are SKIPPED !!!\n');
  return probe !== undefined;
}
