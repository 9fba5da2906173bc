// flock-farm: the sandbox farm. The test helper API used by the agent's integration tests.
export type { AccountCredentials } from './accounts';
export type { AddProjectOptions, ProjectInfo, SyntheticBehaviour } from './add-project';
export { DEMO_SCENE, generateDemoBlend } from './blender';
export { type FarmClock, ManualFarmClock, systemClock } from './clock';
export type { ErrorReportRow, FrameRow, JobRequestRow, JobRow } from './db/schema';
export type { RendererChoice } from './demo';
export { type RunningFarm, type SessionInfo, type StartFarmOptions, startFarm } from './farm';
export {
  type ActiveFault,
  FAULT_ENDPOINTS,
  FaultController,
  type FaultEndpoint,
  type FaultSpec,
  parseFaultSpec,
} from './faults';
export type { LogLevel } from './log';
export { CREDITS_PER_FRAME, FIRST_JOB_ID } from './projects';
export type { RendererArchive } from './renderer/index';
