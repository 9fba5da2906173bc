export { findNice, renderEnvironment, withPriority } from './environment.js';
export { memoryNoticeOnce } from './memory-notice.js';
export {
  createTreeMemorySampler,
  DEFAULT_SYSTEM_COMMANDS,
  type SystemCommands,
  type TreeMemorySampler,
} from './memory-sampler.js';
export { findOutputFile } from './output-file.js';
export { PowerShellSession } from './powershell-session.js';
export { applyPriorityAfterSpawn, priorityAfterSpawn, windowsPriorityClass } from './priority.js';
export { parseProcessRows, treeRssKiB } from './process-table.js';
export { descendantsOf, ProcessTreeSampler, processTreeRssKiB } from './process-tree.js';
export { runRender } from './run-render.js';
export { type ComputeDevice, coreScript, renderScript } from './script.js';
export { killProcessTree, treeKillCommand } from './tree-kill.js';
export type {
  RenderEvent,
  RenderFacts,
  RenderHandle,
  RenderJob,
  RenderOptions,
  RenderResult,
  RenderSnapshot,
} from './types.js';
