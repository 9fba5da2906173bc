/** Why a download failed for good (after its retries). */
export type DownloadErrorKind =
  /** The server kept answering with a non-success HTTP status. */
  | 'http'
  /** Every attempt delivered bytes whose MD5 differs from the expected one. */
  | 'md5-mismatch'
  /** The connection kept failing without progress. */
  | 'network'
  /** Not enough free space in the target directory. */
  | 'no-space'
  /** Writing to disk failed (permission, I/O error). */
  | 'io'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** Waited too long for another agent's download in the shared directory. */
  | 'shared-timeout';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';

  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
    options?: { cause?: unknown; attempts?: number },
  ) {
    super(message, options);
    this.attempts = options?.attempts ?? 0;
  }

  readonly attempts: number;
}
