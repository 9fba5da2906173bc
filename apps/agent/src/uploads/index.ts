export { DEFAULT_UPLOAD_BACKOFF, type UploadBackoff, uploadRetryDelay } from './backoff.js';
export {
  type EnqueueRequest,
  type SendResult,
  type UploadEvent,
  UploadQueue,
  type UploadQueueOptions,
  type UploadSender,
} from './queue.js';
export type { UploadItem } from './store.js';
