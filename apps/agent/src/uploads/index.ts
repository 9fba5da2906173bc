export type { SendResult, UploadEvent, UploadSender } from './events.js';
export { type EnqueueRequest, UploadQueue, type UploadQueueOptions } from './queue.js';
export type { UploadItem } from './store.js';
