export { BuildDownloadError, type BuildSource, downloadBuild, MAX_BUILD_BYTES } from './download-build.js';
export {
  AgentLifecycle,
  isLifecycleCommand,
  type LifecycleCommand,
  type LifecycleOptions,
  type StoppedEnd,
} from './lifecycle.js';
export { supervisorOf } from './supervisor.js';
