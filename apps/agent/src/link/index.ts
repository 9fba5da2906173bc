export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff';
export { LinkClient, type LinkClientOptions, type LinkStatus, linkUrl } from './client';
export {
  certificateErrorCode,
  certificateMismatch,
  consoleDispatcher,
  parseFingerprint,
} from './console-http';
export {
  defaultConfigDir,
  LINK_CREDENTIALS_FILE,
  loadLinkCredentials,
  PairingError,
  type PairOptions,
  pair,
  saveLinkCredentials,
} from './credentials';
export type { ConsoleLinkInfo, FarmAccountUpdate, LinkedAgent, LinkLogger } from './linked-agent';
export { Outbox, type OutboxEntry, type OutboxOptions } from './outbox';
export { OUTBOX_JOURNAL_FILE } from './outbox-journal';
export { PAIRING_CHECK_MS } from './pairing-wait';
export {
  CertificateMismatchError,
  connectPinned,
  PinnedHttpsAgent,
  pinnedDispatcher,
  presentedPin,
} from './pinned-tls';
export { type ConsoleLinkHandle, type ConsoleLinkOptions, linkWhenPaired, startConsoleLink } from './start';
export { makeThumbnail, THUMBNAIL_MAX_EDGE } from './thumbnail';
