// The agent's settings: one typed object built from defaults, the config file, FLOCK_PASSWORD and
// the command line (later wins). Every value is checked here; a bad one is a ConfigError naming the
// flag or key, which the CLI prints as one line (exit 2).
import type { ComputeMethodName } from '@flock/protocol';
import { parseSchedule, ScheduleParseError } from '../schedule/index.js';

export const DEFAULT_SERVER = 'https://client.sheepit-renderfarm.com';

export interface AgentSettings {
  server: string;
  /** The agent's own SheepIt account; without one it uses the account its console sends. */
  login?: string;
  password?: string;
  cacheDir: string;
  sharedZip?: string;
  computeMethod: ComputeMethodName;
  gpu?: string;
  cores?: number;
  memoryBytes?: number;
  /** Max render time per frame, minutes. */
  rendertimeMinutes?: number;
  priority: number;
  requestTime?: string;
  hostname?: string;
  proxy?: string;
  clientVersion?: string;
  maxFrames?: number;
  logFormat: 'text' | 'json';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /** `key`: the flag or config key at fault. */
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

/** Raw values by key as they come from flags or the file (strings, numbers, booleans). */
export type RawSettings = Readonly<Record<string, unknown>>;

/** The keys shared by flags and the config file (kebab-case, as on the command line). */
export const SETTING_KEYS = [
  'server',
  'login',
  'password',
  'cache-dir',
  'shared-zip',
  'compute-method',
  'gpu',
  'cores',
  'memory',
  'rendertime',
  'priority',
  'request-time',
  'hostname',
  'proxy',
  'client-version',
  'max-frames',
  'log-format',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "4G", "512M", "2048K", "1073741824" → bytes (binary units; a trailing B or iB is allowed). */
export function parseMemory(value: string, key = 'memory'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value);
  if (!match) throw new ConfigError(key, `"${value}" is not a size like 4G, 512M or 2048K`);
  const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? 1));
  if (bytes < 64 * 1024 ** 2) throw new ConfigError(key, `"${value}" is below the 64M minimum`);
  return bytes;
}

function text(raw: RawSettings, key: SettingKey): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(key, 'must be a string');
  const result = String(value).trim();
  if (result === '') throw new ConfigError(key, 'must not be empty');
  return result;
}

function integer(raw: RawSettings, key: SettingKey, min: number, max: number): number | undefined {
  const value = text(raw, key);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(key, `"${value}" is not a whole number`);
  const number = Number(value);
  if (number < min || number > max) throw new ConfigError(key, `${number} is outside ${min}..${max}`);
  return number;
}

function url(raw: RawSettings, key: SettingKey): string | undefined {
  const value = text(raw, key);
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(key, `"${value}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(key, `"${value}" must be an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, '');
}

function oneOf<T extends string>(raw: RawSettings, key: SettingKey, allowed: readonly T[]): T | undefined {
  const value = text(raw, key)?.toLowerCase();
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(key, `"${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function required(value: string | undefined, key: SettingKey, hint: string): string {
  if (value === undefined) throw new ConfigError(key, `missing (${hint})`);
  return value;
}

/** Checks and types merged raw settings; `defaults.cacheDir` stands in for a missing `cache-dir`. */
export function toSettings(raw: RawSettings, defaults: { cacheDir?: string } = {}): AgentSettings {
  const requestTime = text(raw, 'request-time');
  if (requestTime !== undefined) {
    try {
      parseSchedule(requestTime);
    } catch (error) {
      if (error instanceof ScheduleParseError) throw new ConfigError('request-time', error.message);
      throw error;
    }
  }
  const hostname = text(raw, 'hostname');
  if (hostname !== undefined && !/^[a-z0-9_-]{1,63}$/i.test(hostname)) {
    throw new ConfigError('hostname', `"${hostname}" may only hold letters, digits, "-" and "_"`);
  }
  const memory = text(raw, 'memory');
  const login = text(raw, 'login');
  const password = text(raw, 'password');
  // An own account is both or neither: without one the agent waits for its console's.
  if (password !== undefined) required(login, 'login', '--login NAME or "login" in the config file');
  if (login !== undefined)
    required(password, 'password', '--password, FLOCK_PASSWORD or "password" in the config file');
  const settings: AgentSettings = {
    server: url(raw, 'server') ?? DEFAULT_SERVER,
    ...(login !== undefined && password !== undefined ? { login, password } : {}),
    cacheDir: required(
      text(raw, 'cache-dir') ?? defaults.cacheDir,
      'cache-dir',
      '--cache-dir DIR or "cache-dir" in the config file',
    ),
    computeMethod: oneOf(raw, 'compute-method', ['cpu', 'gpu', 'cpu_gpu'] as const) ?? 'cpu',
    priority: integer(raw, 'priority', -20, 19) ?? 19,
    logFormat: oneOf(raw, 'log-format', ['text', 'json'] as const) ?? 'text',
  };
  const optional: Partial<AgentSettings> = {
    sharedZip: text(raw, 'shared-zip'),
    gpu: text(raw, 'gpu'),
    cores: integer(raw, 'cores', 1, 4096),
    memoryBytes: memory === undefined ? undefined : parseMemory(memory),
    rendertimeMinutes: integer(raw, 'rendertime', 1, 7 * 24 * 60),
    requestTime,
    hostname,
    proxy: url(raw, 'proxy'),
    clientVersion: text(raw, 'client-version'),
    maxFrames: integer(raw, 'max-frames', 1, 1_000_000_000),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  return settings;
}
