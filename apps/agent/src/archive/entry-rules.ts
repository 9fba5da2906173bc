// Which entries may be extracted and where: the checks that keep an archive inside its directory.
import path from 'node:path';
import { ArchiveError } from './errors.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const HOST_UNIX = 3;

export interface EntryFacts {
  versionMadeBy: number;
  externalFileAttributes: number;
}

/**
 * Resolves an entry name (already decoded, backslashes turned into `/`) to an absolute path inside
 * `root`, or throws `unsafe-path`. Refuses rather than sanitises: an archive that tries to escape is
 * hostile and none of it is extracted.
 */
export function resolveInside(root: string, entryName: string): string {
  const unsafe = (why: string) =>
    new ArchiveError('unsafe-path', `unsafe entry name ${JSON.stringify(entryName)}: ${why}`);
  if (entryName.length === 0) throw unsafe('empty name');
  if (entryName.includes('\0')) throw unsafe('NUL character');
  if (entryName.startsWith('/')) throw unsafe('absolute path');
  if (/^[a-zA-Z]:/.test(entryName)) throw unsafe('drive letter');
  const segments = entryName.split('/');
  if (segments.includes('..')) throw unsafe('parent directory segment');
  const resolved = path.resolve(root, ...segments.filter((s) => s !== '' && s !== '.'));
  if (resolved !== root && !resolved.startsWith(root + path.sep)) throw unsafe('resolves outside the target');
  return resolved;
}

/** Unix file mode stored in the high 16 bits of the external attributes (0 when not made on Unix). */
function unixMode(entry: EntryFacts): number {
  return entry.versionMadeBy >> 8 === HOST_UNIX ? (entry.externalFileAttributes >>> 16) & 0xffff : 0;
}

export function assertNotSymlink(entry: EntryFacts, entryName: string): void {
  // Checked whatever the "made by" host claims: a symlink mode in the attributes is never welcome.
  if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
    throw new ArchiveError('symlink', `refusing symbolic link entry ${JSON.stringify(entryName)}`);
  }
}

/** 0o755 for executables (listed by base name, or marked executable by a Unix zip), else 0o644. */
export function fileModeFor(entry: EntryFacts, entryName: string, executables: ReadonlySet<string>): number {
  const markedExecutable = (unixMode(entry) & 0o111) !== 0;
  return markedExecutable || executables.has(path.posix.basename(entryName)) ? 0o755 : 0o644;
}
