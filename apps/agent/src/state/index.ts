export { FrameThumbnails } from './frame-thumbnails.js';
export {
  isAlive,
  mirrorStateToFile,
  readStateFile,
  STATE_FILE_NAME,
  type StateFileContent,
  stateFilePath,
} from './state-file.js';
export {
  AgentStateStore,
  type LocalState,
  type StateSnapshot,
  statusOfWorker,
  type WorkerState,
} from './store.js';
export { uncleanExitReport } from './unclean-exit.js';
