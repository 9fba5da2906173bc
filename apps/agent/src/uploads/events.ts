import type { UploadItem } from './store.js';

/** What the sender reports: the farm's `<jobvalidate status>`, or a failure before any status was read. */
export type SendResult =
  | { status: number }
  /** Network failure, HTTP 5xx, non-XML or wrong content type; `errorType` defaults to NETWORK_ISSUE (11). */
  | { error: string; errorType?: number };

export type UploadSender = (item: UploadItem) => Promise<SendResult>;

export type UploadEvent =
  | { type: 'queued'; item: UploadItem }
  | { type: 'recovered'; items: UploadItem[] }
  | { type: 'sending'; item: UploadItem; attempt: number }
  | { type: 'delivered'; item: UploadItem }
  | {
      type: 'retry';
      item: UploadItem;
      attempt: number;
      delayMs: number;
      reason: string;
      errorType: number;
      status?: number;
    }
  | {
      type: 'rejected';
      item: UploadItem;
      status: number;
      errorType: number;
      explanation: string;
      /** 301/304: the farm disabled this session; the caller should stop requesting jobs. */
      sessionDisabled: boolean;
      /** The agent died mid-send before: the farm most likely has the frame already. */
      possiblyDelivered: boolean;
    }
  /** The queue entry survived but its frame file did not (deleted by hand): it cannot be sent. */
  | { type: 'lost'; item: UploadItem; reason: string }
  /** A leftover in the queue dir was swept or set aside at start-up. */
  | { type: 'problem'; file: string; reason: string };
