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
export {
  CertificateMismatchError,
  connectPinned,
  PinnedHttpsAgent,
  pinnedDispatcher,
  presentedPin,
} from './pinned-tls';
export { SimulatedAgent } from './simulated-agent';
export {
  type ConsoleLinkHandle,
  type ConsoleLinkOptions,
  linkWhenPaired,
  PAIRING_CHECK_MS,
  startConsoleLink,
} from './start';
export { makeThumbnail, THUMBNAIL_MAX_EDGE } from './thumbnail';
