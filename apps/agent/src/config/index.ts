export {
  CONTROL_COMMANDS,
  type ControlCommandName,
  helpText,
  type ParsedCommandLine,
  parseCommandLine,
  parseSnoozeMinutes,
  resolveSettings,
} from './args.js';
export { readConfigFile, writeConfigFile } from './file.js';
export {
  CONFIG_FILE_NAME,
  defaultCacheDir,
  defaultConfigDir,
  defaultConfigPath,
  legacyConfigDir,
  osConfigDir,
  type SystemPlaces,
  thisSystem,
} from './paths.js';
export {
  type AgentSettings,
  ConfigError,
  DEFAULT_SERVER,
  parseMemory,
  type RawSettings,
  SETTING_KEYS,
  toSettings,
} from './settings.js';
