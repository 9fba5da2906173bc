// The agent's settings: one typed object built from defaults, the config file, FLOCK_PASSWORD and
// the command line (later wins). Every value is checked here; a bad one is a ConfigError naming the
// flag or key, which the CLI prints as one line (exit 2).
import {
  type ComputeMethodName,
  ComputeMethodNameSchema,
  DEFAULT_PRIORITY,
  LIMIT_BOUNDS,
  type LimitName,
  LimitsSchema,
  parseSchedule,
  type Rule,
  RuleSchema,
  ScheduleParseError,
} from '@flock/protocol';

export const DEFAULT_SERVER = 'https://client.sheepit-renderfarm.com';

export interface AgentSettings {
  /** The agent's own farm; without one it uses its console's farm server, else DEFAULT_SERVER. */
  server?: string;
  /** The agent's own SheepIt account; without one it uses the account its console sends. */
  login?: string;
  password?: string;
  cacheDir: string;
  sharedZip?: string;
  /** Size budget of the archive cache (`--cache-max-size`); none by default. */
  cacheMaxBytes?: number;
  computeMethod: ComputeMethodName;
  gpu?: string;
  cores?: number;
  memoryBytes?: number;
  /** The longest frame time (given in minutes); longer renders are stopped. */
  maxFrameTimeSeconds?: number;
  priority: number;
  requestTime?: string;
  hostname?: string;
  proxy?: string;
  clientVersion?: string;
  maxFrames?: number;
  logFormat: 'text' | 'json';
  /** The owner's rules (`--idle-only`, `--pause-while-running`, `--no-battery`, `--max-temperature`). */
  rules?: Rule[];
  /** The limits the owner set on the machine (flag or config file), which a console profile leaves. */
  ownerLimits?: LimitName[];
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
  'cache-max-size',
  'compute-method',
  'gpu',
  'cores',
  'memory',
  'max-frame-time',
  'priority',
  'request-time',
  'hostname',
  'proxy',
  'client-version',
  'max-frames',
  'log-format',
  'idle-only',
  'pause-while-running',
  'no-battery',
  'max-temperature',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** Keys that are switches: `--no-battery` on the command line, `"no-battery": true` in the config file. */
export const SWITCH_KEYS: readonly SettingKey[] = ['no-battery'];

/** The keys that set a limit, and the limit each one sets (what `ownerLimits` reports). */
const LIMIT_KEYS: Readonly<Partial<Record<SettingKey, LimitName>>> = Object.freeze({
  'compute-method': 'computeMethod',
  gpu: 'gpu',
  cores: 'cores',
  memory: 'memoryBytes',
  'max-frame-time': 'maxFrameTimeSeconds',
  priority: 'priority',
  'request-time': 'requestTime',
});

/** Older spellings, still accepted as flags and config keys, and the setting each one names. */
export const SETTING_ALIASES: Readonly<Record<string, SettingKey>> = Object.freeze({
  rendertime: 'max-frame-time',
});

/** A flag or config key this agent knows, under its current name or an older one. */
export function isSettingKey(key: string): boolean {
  return (SETTING_KEYS as readonly string[]).includes(key) || Object.hasOwn(SETTING_ALIASES, key);
}

/** The same raw settings under the current names; a setting given under both of its names is refused. */
export function canonicalSettings(raw: RawSettings): RawSettings {
  const canonical: Record<string, unknown> = { ...raw };
  for (const [alias, key] of Object.entries(SETTING_ALIASES)) {
    if (canonical[alias] === undefined) continue;
    if (canonical[key] !== undefined) throw new ConfigError(key, `given twice, also as "${alias}"`);
    canonical[key] = canonical[alias];
    delete canonical[alias];
  }
  return canonical;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const MEBIBYTE = 1024 ** 2;

/** "4G", "512M", "2048K", "20GB", "500MiB", "1073741824" → bytes (binary units; a trailing B or iB is allowed). */
function parseSize(value: string, key: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value);
  if (!match) throw new ConfigError(key, `"${value}" is not a size like 4G, 512M or 2048K`);
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? 1));
}

/** A memory limit in bytes (parseSize), at least the console's minimum. */
export function parseMemory(value: string, key = 'memory'): number {
  const bytes = parseSize(value, key);
  if (!LimitsSchema.shape.memoryBytes.safeParse(bytes).success) {
    throw new ConfigError(key, `"${value}" is below the ${LIMIT_BOUNDS.memoryBytes.min / MEBIBYTE}M minimum`);
  }
  return bytes;
}

/**
 * The archive cache's budget: below 256 MiB a Blender renderer archive (about 200 MiB and more)
 * would be evicted after nearly every job; above 1 PiB is a typo.
 */
export const CACHE_MAX_SIZE_BOUNDS = { min: 256 * MEBIBYTE, max: 1024 ** 5 } as const;

function cacheMaxSize(raw: RawSettings): number | undefined {
  const value = text(raw, 'cache-max-size');
  if (value === undefined) return undefined;
  const bytes = parseSize(value, 'cache-max-size');
  if (bytes < CACHE_MAX_SIZE_BOUNDS.min || bytes > CACHE_MAX_SIZE_BOUNDS.max) {
    throw new ConfigError('cache-max-size', `"${value}" is outside 256M..1024T`);
  }
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

function wholeNumber(raw: RawSettings, key: SettingKey): number | undefined {
  const value = text(raw, key);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(key, `"${value}" is not a whole number`);
  return Number(value);
}

function integer(raw: RawSettings, key: SettingKey, min: number, max: number): number | undefined {
  const number = wholeNumber(raw, key);
  if (number !== undefined && (number < min || number > max)) {
    throw new ConfigError(key, `${number} is outside ${min}..${max}`);
  }
  return number;
}

/**
 * A limit given in `unit`s (`scale` of the limit's own unit each), checked with the console link's
 * schema: the agent accepts from its flags exactly what it accepts from the console.
 */
function limit(
  raw: RawSettings,
  key: SettingKey,
  field: 'cores' | 'maxFrameTimeSeconds' | 'priority',
  { scale = 1, unit = '' } = {},
): number | undefined {
  const given = wholeNumber(raw, key);
  if (given === undefined) return undefined;
  if (!LimitsSchema.shape[field].safeParse(given * scale).success) {
    const { min, max } = LIMIT_BOUNDS[field];
    throw new ConfigError(key, `${given} is outside ${min / scale}..${max / scale}${unit}`);
  }
  return given * scale;
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

function switchOn(raw: RawSettings, key: SettingKey): boolean {
  const value = raw[key];
  if (value === undefined || value === null || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new ConfigError(key, `"${String(value)}" is not true or false`);
}

/** A rule's value checked with the protocol's schema, so the flag accepts what the console accepts. */
function ownerRule(key: SettingKey, when: unknown): Rule {
  const parsed = RuleSchema.safeParse({ name: key, when });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.at(-1);
  throw new ConfigError(
    key,
    `${issue?.message ?? 'invalid'}${typeof field === 'string' ? ` (${field})` : ''}`,
  );
}

/** Program names as `blender,steam` (flag or file) or `["blender", "steam"]` (file). */
function names(raw: RawSettings, key: SettingKey): string[] | undefined {
  const value = raw[key];
  if (Array.isArray(value)) {
    if (!value.every((name) => typeof name === 'string')) throw new ConfigError(key, 'must be program names');
    return value.map((name: string) => name.trim());
  }
  return text(raw, key)
    ?.split(',')
    .map((name) => name.trim());
}

/**
 * The owner's rules from `--idle-only`, `--pause-while-running`, `--no-battery` and
 * `--max-temperature`, each named by its key and with the default action (finish the frame, ask for
 * no new job).
 */
function ownerRules(raw: RawSettings): Rule[] {
  const rules: Rule[] = [];
  const idleMinutes = wholeNumber(raw, 'idle-only');
  if (idleMinutes !== undefined) rules.push(ownerRule('idle-only', { kind: 'user-active', idleMinutes }));
  const programs = names(raw, 'pause-while-running');
  if (programs !== undefined)
    rules.push(ownerRule('pause-while-running', { kind: 'process-running', names: programs }));
  if (switchOn(raw, 'no-battery')) rules.push(ownerRule('no-battery', { kind: 'on-battery' }));
  const celsius = wholeNumber(raw, 'max-temperature');
  if (celsius !== undefined)
    rules.push(ownerRule('max-temperature', { kind: 'temperature-above', sensor: 'cpu', celsius }));
  return rules;
}

function required(value: string | undefined, key: SettingKey, hint: string): string {
  if (value === undefined) throw new ConfigError(key, `missing (${hint})`);
  return value;
}

/**
 * Checks and types merged raw settings (older spellings of a key are read as the current one);
 * `defaults.cacheDir` stands in for a missing `cache-dir`.
 */
export function toSettings(given: RawSettings, defaults: { cacheDir?: string } = {}): AgentSettings {
  const raw = canonicalSettings(given);
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
    ...(login !== undefined && password !== undefined ? { login, password } : {}),
    cacheDir: required(
      text(raw, 'cache-dir') ?? defaults.cacheDir,
      'cache-dir',
      '--cache-dir DIR or "cache-dir" in the config file',
    ),
    computeMethod: oneOf(raw, 'compute-method', ComputeMethodNameSchema.options) ?? 'cpu',
    priority: limit(raw, 'priority', 'priority') ?? DEFAULT_PRIORITY,
    logFormat: oneOf(raw, 'log-format', ['text', 'json'] as const) ?? 'text',
  };
  const optional: Partial<AgentSettings> = {
    server: url(raw, 'server'),
    sharedZip: text(raw, 'shared-zip'),
    cacheMaxBytes: cacheMaxSize(raw),
    gpu: text(raw, 'gpu'),
    cores: limit(raw, 'cores', 'cores'),
    memoryBytes: memory === undefined ? undefined : parseMemory(memory),
    maxFrameTimeSeconds: limit(raw, 'max-frame-time', 'maxFrameTimeSeconds', { scale: 60, unit: ' minutes' }),
    requestTime,
    hostname,
    proxy: url(raw, 'proxy'),
    clientVersion: text(raw, 'client-version'),
    maxFrames: integer(raw, 'max-frames', 1, 1_000_000_000),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  const rules = ownerRules(raw);
  if (rules.length > 0) settings.rules = rules;
  const ownerLimits = Object.entries(LIMIT_KEYS).flatMap(([key, limit]) =>
    raw[key] === undefined || raw[key] === null ? [] : [limit],
  );
  if (ownerLimits.length > 0) settings.ownerLimits = ownerLimits;
  return settings;
}
