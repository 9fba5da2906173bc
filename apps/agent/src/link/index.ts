export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff';
export { LinkClient, type LinkClientOptions, type LinkStatus, linkUrl } from './client';
export {
  defaultConfigDir,
  LINK_CREDENTIALS_FILE,
  loadLinkCredentials,
  PairingError,
  type PairOptions,
  pair,
  saveLinkCredentials,
} from './credentials';
export type { ConsoleLinkInfo, LinkedAgent, LinkLogger } from './linked-agent';
export { PAIRING_CHECK_MS } from './pairing-wait';
export { type ConsoleLinkHandle, type ConsoleLinkOptions, linkWhenPaired, startConsoleLink } from './start';
export { makeThumbnail, THUMBNAIL_MAX_EDGE } from './thumbnail';
