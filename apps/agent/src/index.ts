// flock-agent as a library: the agent itself (for the console link and tests), its settings and
// the command API.
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
export { FarmLoop } from './farm/loop.js';
export type { FrameUploads, RenderPort, RenderRequest, RenderResult } from './farm/ports.js';
export { Logger } from './log/index.js';
export {
  AgentStateStore,
  type LocalState,
  readStateFile,
  type StateSnapshot,
  type WorkerState,
} from './state/index.js';
