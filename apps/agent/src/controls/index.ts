export {
  type AgentCommand,
  Controls,
  type ControlsInit,
  type InterruptReason,
  type LocalCommand,
} from './controls.js';
