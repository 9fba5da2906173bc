export {
  CONTROL_COMMANDS,
  type ControlCommandName,
  helpText,
  type ParsedCommandLine,
  parseCommandLine,
  resolveSettings,
} from './args.js';
export { defaultConfigPath, readConfigFile, writeConfigFile } from './file.js';
export {
  type AgentSettings,
  ConfigError,
  DEFAULT_SERVER,
  parseMemory,
  type RawSettings,
  SETTING_KEYS,
  toSettings,
} from './settings.js';
