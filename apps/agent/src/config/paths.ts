// Where the agent keeps its files by default, by each OS's conventions:
//
// |          | config (agent.json, console-link.json)       | cache dir (--cache-dir)               |
// | -------- | -------------------------------------------- | ------------------------------------- |
// | Linux    | $XDG_CONFIG_HOME/flock, else ~/.config/flock | $XDG_CACHE_HOME/flock, else ~/.cache/flock |
// | macOS    | ~/Library/Application Support/flock          | ~/Library/Caches/flock                |
// | Windows  | %APPDATA%\flock                              | %LOCALAPPDATA%\flock                  |
//
// (The BSDs follow XDG like Linux.) Before, every OS used the Linux config dir: an agent.json or a
// console-link.json already there on macOS or Windows keeps being used from there — never moved
// behind the user's back — and the agent says where it reads it from (`legacyConfigDir`).
// XDG variables that are not absolute paths are ignored, as the XDG spec asks.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The facts the defaults depend on; the CLI passes this machine's, tests any other. */
export interface SystemPlaces {
  platform: NodeJS.Platform;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Whether a file exists (default: the file system's answer). */
  exists?: (file: string) => boolean;
}

export const CONFIG_FILE_NAME = 'agent.json';
/** The console link's credentials, written by `pair` beside the config file. */
export const LINK_CREDENTIALS_FILE = 'console-link.json';
/** Files that mean "this config dir is in use". */
const CONFIG_DIR_MARKERS = [CONFIG_FILE_NAME, LINK_CREDENTIALS_FILE];

export function thisSystem(env: NodeJS.ProcessEnv = process.env): SystemPlaces {
  return { platform: process.platform, home: homedir(), env };
}

function pathsOf(platform: NodeJS.Platform) {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** An absolute directory from an environment variable, or undefined. */
function envDir(system: SystemPlaces, name: string): string | undefined {
  const value = system.env[name];
  return value && pathsOf(system.platform).isAbsolute(value) ? value : undefined;
}

/** The XDG config dir, the default on Linux and the only one before other OSes had their own. */
function xdgConfigDir(system: SystemPlaces): string {
  const { join } = pathsOf(system.platform);
  return join(envDir(system, 'XDG_CONFIG_HOME') ?? join(system.home, '.config'), 'flock');
}

/** This OS's own config dir for the agent (whether or not anything is in it yet). */
export function osConfigDir(system: SystemPlaces): string {
  const { join } = pathsOf(system.platform);
  if (system.platform === 'darwin') return join(system.home, 'Library', 'Application Support', 'flock');
  if (system.platform === 'win32') {
    return join(envDir(system, 'APPDATA') ?? join(system.home, 'AppData', 'Roaming'), 'flock');
  }
  return xdgConfigDir(system);
}

/**
 * The config dir an earlier Flock used on this macOS or Windows machine (~/.config/flock, or
 * $XDG_CONFIG_HOME/flock) when it holds the agent's files and the OS's own dir does not; else
 * undefined. Never on Linux, where both are the same.
 */
export function legacyConfigDir(system: SystemPlaces): string | undefined {
  const current = osConfigDir(system);
  const legacy = xdgConfigDir(system);
  if (legacy === current) return undefined;
  const exists = system.exists ?? existsSync;
  const holds = (dir: string) =>
    CONFIG_DIR_MARKERS.some((name) => exists(pathsOf(system.platform).join(dir, name)));
  return holds(legacy) && !holds(current) ? legacy : undefined;
}

/** Where the agent reads and writes its config: the OS's dir, or the earlier one still in use. */
export function defaultConfigDir(system: SystemPlaces = thisSystem()): string {
  return legacyConfigDir(system) ?? osConfigDir(system);
}

export function defaultConfigPath(system: SystemPlaces = thisSystem()): string {
  return pathsOf(system.platform).join(defaultConfigDir(system), CONFIG_FILE_NAME);
}

/** The default --cache-dir: archives, renderers, work files, the upload queue and the state file. */
export function defaultCacheDir(system: SystemPlaces = thisSystem()): string {
  const { join } = pathsOf(system.platform);
  if (system.platform === 'darwin') return join(system.home, 'Library', 'Caches', 'flock');
  if (system.platform === 'win32') {
    return join(envDir(system, 'LOCALAPPDATA') ?? join(system.home, 'AppData', 'Local'), 'flock');
  }
  return join(envDir(system, 'XDG_CACHE_HOME') ?? join(system.home, '.cache'), 'flock');
}
