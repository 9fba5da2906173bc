// Installing the agent on a machine (files, pairing, service), the launcher's versions, updates.
export { InstallError, type InstallOptions, type InstallResult, install, MIN_NODE } from './install.js';
export {
  agentHome,
  currentHomeContext,
  EXIT_RESTART,
  type HomeContext,
  homeLayout,
  type ServiceScope,
  versionIdOf,
} from './layout.js';
export { type CommandRunner, ServiceError } from './service.js';
export { uninstall } from './uninstall.js';
export {
  type Build,
  confirmTrial,
  type InstalledAgent,
  installedAgent,
  requestUpdate,
  type Supervisor,
  UpdateRefused,
} from './updates.js';
