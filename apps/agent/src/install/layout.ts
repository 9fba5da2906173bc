// Where an installed agent lives ("agent home") and the files in it. Node built-ins only: the
// launcher uses it too.
//   <home>/launcher.mjs
//   <home>/versions/<version>-<sha256[0:12]>/flock-agent.mjs
//   <home>/versions.json (+ versions.json.bak, the last good copy)
//   <home>/bin/flock-agent (Windows: flock-agent.cmd)
import { homedir } from 'node:os';
import path from 'node:path';

export const AGENT_BUNDLE_FILE = 'flock-agent.mjs';
export const LAUNCHER_FILE = 'launcher.mjs';

/** Who the service runs as: the machine (root, a system unit) or the user who installed it. */
export type ServiceScope = 'system' | 'user';

export interface HomeContext {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  scope: ServiceScope;
  /** The user's home directory (os.homedir()). */
  userHome: string;
  /** Running as root (set by `currentHomeContext`; a context made by hand is not root unless it says so). */
  isRoot?: boolean;
}

export function currentHomeContext(scope?: ServiceScope): HomeContext {
  const isRoot = process.getuid?.() === 0;
  return {
    platform: process.platform,
    env: process.env,
    scope: scope ?? (isRoot && process.platform === 'linux' ? 'system' : 'user'),
    userHome: homedir(),
    isRoot,
  };
}

/** An environment variable that names an absolute directory, else undefined. */
function absoluteDir(value: string | undefined): string | undefined {
  return value && path.isAbsolute(value) ? value : undefined;
}

/**
 * The per-OS agent home: Linux `${XDG_DATA_HOME:-~/.local/share}/flock-agent` (a system install:
 * `/opt/flock-agent`), macOS `~/Library/Application Support/flock-agent`, Windows
 * `%LOCALAPPDATA%\flock-agent`.
 */
export function agentHome(context: HomeContext): string {
  const { platform, env, userHome } = context;
  if (platform === 'win32') {
    const local = absoluteDir(env.LOCALAPPDATA) ?? path.win32.join(userHome, 'AppData', 'Local');
    return path.win32.join(local, 'flock-agent');
  }
  if (platform === 'darwin') return path.join(userHome, 'Library', 'Application Support', 'flock-agent');
  if (context.scope === 'system') return '/opt/flock-agent';
  return path.join(absoluteDir(env.XDG_DATA_HOME) ?? path.join(userHome, '.local', 'share'), 'flock-agent');
}

/**
 * Where `flock-agent` is linked so it is on the PATH: Linux `~/.local/bin` (a system install:
 * `/usr/local/bin`); elsewhere none (the install names the wrapper's full path).
 */
export function commandLink(context: HomeContext): string | null {
  if (context.platform !== 'linux') return null;
  if (context.scope === 'system') return '/usr/local/bin/flock-agent';
  return path.join(context.userHome, '.local', 'bin', 'flock-agent');
}

export interface HomeLayout {
  home: string;
  launcher: string;
  versionsDir: string;
  versionsFile: string;
  /** The last good copy of versions.json, read when versions.json is damaged. */
  versionsBackup: string;
  binDir: string;
  /** `bin/flock-agent` (a sh wrapper), on Windows `bin\flock-agent.cmd`. */
  wrapper: string;
  bundleOf(versionId: string): string;
}

export function homeLayout(home: string, platform: NodeJS.Platform = process.platform): HomeLayout {
  const join = platform === 'win32' ? path.win32.join : path.join;
  const versionsDir = join(home, 'versions');
  return {
    home,
    launcher: join(home, LAUNCHER_FILE),
    versionsDir,
    versionsFile: join(home, 'versions.json'),
    versionsBackup: join(home, 'versions.json.bak'),
    binDir: join(home, 'bin'),
    wrapper: join(home, 'bin', platform === 'win32' ? 'flock-agent.cmd' : 'flock-agent'),
    bundleOf: (versionId) => join(versionsDir, assertVersionId(versionId), AGENT_BUNDLE_FILE),
  };
}

/** `<version>-<sha256[0:12]>`: a version and the start of its bundle's SHA-256. */
const VERSION_ID = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}-[0-9a-f]{12}$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function isVersionId(value: unknown): value is string {
  return typeof value === 'string' && VERSION_ID.test(value);
}

/** A version id is a directory name: checked before it is joined to a path. */
export function assertVersionId(value: string): string {
  if (!isVersionId(value)) throw new Error(`not a version id: ${JSON.stringify(value).slice(0, 80)}`);
  return value;
}

export function versionIdOf(version: string, sha256: string): string {
  if (!VERSION.test(version)) throw new Error(`not a version: ${JSON.stringify(version).slice(0, 80)}`);
  if (!SHA256.test(sha256)) throw new Error('not a SHA-256 (64 lowercase hex digits)');
  return `${version}-${sha256.slice(0, 12)}`;
}

/** The SHA-256 prefix a version id carries. */
export const shaPrefixOf = (versionId: string): string => versionId.slice(-12);

/** Node flags every start of the agent uses: they keep it small (measured in bench/agent). */
export const AGENT_NODE_FLAGS = ['--liftoff-only', '--max-semi-space-size=1'] as const;

/** How the agent tells its supervisor "start me again" (restart, update, a failed trial). */
export const EXIT_RESTART = 75;

/** Set by the launcher for the agent it starts: the agent home and the version running. */
export const HOME_ENV = 'FLOCK_AGENT_HOME';
export const VERSION_ENV = 'FLOCK_AGENT_VERSION';
