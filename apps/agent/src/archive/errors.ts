import { isNoSpace } from '../disk.js';

/** Why an archive was refused. Every failure of `extractArchive` is an ArchiveError with one of these. */
export type ArchiveErrorKind =
  | 'wrong-password'
  | 'unsafe-path'
  | 'symlink'
  | 'too-large'
  | 'corrupt'
  | 'unsupported'
  /** The archive does not fit the free space, or the disk filled up while extracting (ENOSPC, EDQUOT). */
  | 'no-space'
  /** The archive was fine but the disk was not (no permission, I/O error). */
  | 'io'
  /** The caller's AbortSignal fired. */
  | 'aborted';

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';

  constructor(
    readonly kind: ArchiveErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const ioCodes = new Set(['EACCES', 'EPERM', 'EROFS', 'EMFILE', 'ENFILE', 'EIO']);

/** Maps anything thrown while reading an archive (yauzl, zlib, fs) onto an ArchiveError. */
export function toArchiveError(error: unknown, context: string): ArchiveError {
  if (error instanceof ArchiveError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if ((error as Error | undefined)?.name === 'AbortError') {
    return new ArchiveError('aborted', `${context}: extraction aborted`, { cause: error });
  }
  if (isNoSpace(error)) return new ArchiveError('no-space', `${context}: ${detail}`, { cause: error });
  if (code && ioCodes.has(code)) return new ArchiveError('io', `${context}: ${detail}`, { cause: error });
  return new ArchiveError('corrupt', `${context}: ${detail}`, { cause: error });
}
