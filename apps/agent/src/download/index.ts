export {
  ArchiveCache,
  type ArchiveCacheOptions,
  type CleanupReport,
  type EnsureRequest,
  MEMO_FILE_NAME,
} from './archive-cache.js';
export type { ArchiveLease } from './archive-leases.js';
export { archivesToEvict, type BudgetedArchive } from './cache-budget.js';
export { createDispatcher, type DispatcherOptions } from './dispatcher.js';
export {
  type DownloadFileOptions,
  type DownloadFileResult,
  defaultBackoff,
  downloadFile,
} from './download-file.js';
export { DownloadError, type DownloadErrorKind } from './errors.js';
export { md5File } from './md5.js';
export type { DownloadProgress } from './progress.js';
export { RateFloor, type RateFloorOptions, TooSlowError } from './rate-floor.js';
export { fetchIntoSharedDir, type SharedDirOptions, type SharedFetchResult } from './shared-dir.js';
