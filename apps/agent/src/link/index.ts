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
export type { ConsoleLinkInfo, FarmAccountUpdate, LinkedAgent, LinkLogger } from './linked-agent';
export { SimulatedAgent } from './simulated-agent';
export {
  type ConsoleLinkHandle,
  type ConsoleLinkOptions,
  linkWhenPaired,
  PAIRING_CHECK_MS,
  startConsoleLink,
} from './start';
export { makeThumbnail, THUMBNAIL_MAX_EDGE } from './thumbnail';
