export {
  type AgentCommand,
  Controls,
  type ControlsInit,
  type LocalCommand,
  type ProjectUnblocker,
  type RuleHold,
  type RulesCommands,
} from './controls.js';
export {
  CONTROL_SOCKET_NAME,
  type ControlChannel,
  ControlChannelError,
  controlSocketPath,
  sendControlCommand,
  startControlChannel,
} from './local-channel.js';
