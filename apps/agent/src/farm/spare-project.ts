// While the next job is requested, the project of the frame just rendered is extracted again into a
// spare directory: most jobs are the next frame of the same project, which then starts with one
// rename instead of an extraction (per-frame overhead, bench/agent/per-frame.ts). A spare the next
// answer does not use is removed at once, so an extracted project stays on disk no longer than the
// job request's round trip beyond the frames that use it.
import { randomBytes } from 'node:crypto';
import { renameSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { extractArchive } from '../archive/index.js';
import type { Logger } from '../log/index.js';

/** Bigger archives are not extracted ahead: a wasted guess would cost real disk time and space. */
const MAX_SPARE_ARCHIVE_BYTES = 64 * 1024 * 1024;

interface Spare {
  key: string;
  dir: string;
  /** Resolves true once the spare is fully extracted, false if it could not be (never rejects). */
  ready: Promise<boolean>;
}

export class SpareProject {
  private spare: Spare | undefined;
  private readonly removals = new Set<Promise<void>>();

  constructor(
    private readonly jobsDir: string,
    private readonly log: Logger,
  ) {}

  /**
   * Starts extracting `zip` into a spare directory, after the I/O already queued (the job request
   * goes out first). Replaces any earlier spare.
   */
  prepare(zip: string, md5: string, password: string): void {
    this.discard();
    if (
      (statSync(zip, { throwIfNoEntry: false })?.size ?? Number.POSITIVE_INFINITY) > MAX_SPARE_ARCHIVE_BYTES
    )
      return;
    const dir = path.join(this.jobsDir, `.spare-${randomBytes(6).toString('hex')}`);
    const ready = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => extractArchive(zip, dir, { password }))
      .then(
        () => true,
        (error: Error) => {
          this.log.debug('no spare project this time', { error: error.message });
          return false;
        },
      );
    this.spare = { key: keyOf(md5, password), dir, ready };
  }

  /** Moves the spare to `target` (which must not exist) if it holds this project; else false. */
  async take(md5: string, password: string, target: string): Promise<boolean> {
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) return false;
    if (spare.key === keyOf(md5, password) && (await spare.ready)) {
      try {
        renameSync(spare.dir, target);
        return true;
      } catch (error) {
        this.log.debug('cannot use the spare project', { error: (error as Error).message });
      }
    }
    this.remove(spare);
    return false;
  }

  /** Removes the spare, if any, in the background. */
  discard(): void {
    const spare = this.spare;
    this.spare = undefined;
    if (spare) this.remove(spare);
  }

  /** Resolves when no spare is left on disk. */
  async settled(): Promise<void> {
    this.discard();
    await Promise.all(this.removals);
  }

  private remove(spare: Spare): void {
    const removal = spare.ready
      .then(() => rm(spare.dir, { recursive: true, force: true }))
      .catch((error: Error) =>
        this.log.warn('cannot remove the spare project', { dir: spare.dir, error: error.message }),
      )
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  }
}

function keyOf(md5: string, password: string): string {
  return `${md5.toLowerCase()}:${password}`;
}
