// flock-agent as a library: the agent itself, its settings, the command API, the console link
// (pairing and the link client) and the installed agent's updates, for the console's tests and tools.
// Test doubles live in flock-agent/testing.
export { AGENT_VERSION, Agent, type AgentOptions, limitsFrom } from './agent.js';
export {
  type AgentSettings,
  ConfigError,
  DEFAULT_SERVER,
  parseCommandLine,
  resolveSettings,
  toSettings,
} from './config/index.js';
export { type AgentCommand, Controls } from './controls/index.js';
export { FARM_ACCOUNT_FILE } from './farm/account.js';
export { FarmLoop } from './farm/loop.js';
export type { FrameUploads, RenderPort, RenderRequest, RenderResult } from './farm/ports.js';
export { type Build, type InstalledAgent, requestUpdate } from './install/index.js';
export {
  LinkClient,
  type LinkClientOptions,
  type LinkedAgent,
  loadLinkCredentials,
  OUTBOX_JOURNAL_FILE,
  PairingError,
  pair,
  startConsoleLink,
} from './link/index.js';
export { formatStatusLine, Logger } from './log/index.js';
export {
  AgentStateStore,
  type LocalState,
  readStateFile,
  type StateSnapshot,
  type WorkerState,
} from './state/index.js';
