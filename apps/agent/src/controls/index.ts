export {
  type AgentCommand,
  Controls,
  type ControlsInit,
  type InterruptReason,
  type LocalCommand,
  type ProjectUnblocker,
} from './controls.js';
