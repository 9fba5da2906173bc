export { findNice, renderEnvironment, withPriority } from './environment.js';
export { findOutputFile } from './output-file.js';
export { descendantsOf, ProcessTreeSampler, processTreeRssKiB } from './process-tree.js';
export { runRender } from './run-render.js';
export { type ComputeDevice, coreScript, renderScript } from './script.js';
export type {
  RenderEvent,
  RenderFacts,
  RenderHandle,
  RenderJob,
  RenderOptions,
  RenderResult,
  RenderSnapshot,
} from './types.js';
