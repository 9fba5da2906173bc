// Command-line flags with node:util parseArgs, merged over the config file and FLOCK_PASSWORD.
import { parseArgs } from 'node:util';
import { ComputeMethodNameSchema, DEFAULT_PRIORITY, LIMIT_BOUNDS, RULE_BOUNDS } from '@flock/protocol';
import { readConfigFile } from './file.js';
import {
  defaultCacheDir,
  defaultConfigPath,
  legacyConfigDir,
  osConfigDir,
  type SystemPlaces,
  thisSystem,
} from './paths.js';
import {
  type AgentSettings,
  ConfigError,
  canonicalSettings,
  type RawSettings,
  SETTING_ALIASES,
  SETTING_KEYS,
  SWITCH_KEYS,
  toSettings,
} from './settings.js';

const FLAG_HELP: Record<(typeof SETTING_KEYS)[number] | 'config' | 'help', string> = {
  server: "farm URL (default the console's farm server, else https://client.sheepit-renderfarm.com)",
  login: 'farm account name',
  password: 'password or render key (or FLOCK_PASSWORD; never logged)',
  'cache-dir': 'directory for archives, work files, the upload queue and the state file (default below)',
  'shared-zip': 'download directory shared by the agents of this machine',
  'cache-max-size':
    'size budget of the archive cache, e.g. 20G or 500MiB (binary units, 256M..1024T): the least recently used archives no job uses are removed after each download (default: no budget)',
  'compute-method': `${ComputeMethodNameSchema.options.join(' | ')} (default cpu)`,
  gpu: 'GPU id to render on (e.g. OPTIX_0, CUDA_0, HIP_0, METAL_0 or a full id; default the first)',
  cores: 'CPU cores Blender may use (default: all)',
  memory: 'memory limit for Blender, e.g. 4G or 512M (binary units)',
  'max-frame-time': 'longest render of one frame in minutes; longer ones are stopped, error 23',
  priority: `Blender's priority as a nice level, ${LIMIT_BOUNDS.priority.min}..${LIMIT_BOUNDS.priority.max} (default ${DEFAULT_PRIORITY}; a priority class on Windows)`,
  'request-time': 'when to ask for jobs, e.g. "mon-fri 18:00-08:00, sat-sun all day"',
  hostname: 'machine name shown on the farm ([a-z0-9-_])',
  proxy: 'HTTP(S) proxy URL, e.g. http://user:pass@host:3128',
  'client-version': "client version sent at login (default Flock's own)",
  'max-frames': 'exit after this many frames were delivered',
  'log-format': 'text | json for log lines off a terminal (default text)',
  'idle-only':
    'ask for jobs only once the keyboard and mouse were idle this many minutes (a headless machine is always idle)',
  'pause-while-running':
    'ask for no job while one of these programs runs, e.g. blender,steam (the frame in progress finishes)',
  'no-battery': 'ask for no job while the machine runs on its battery',
  'max-temperature': 'ask for no job while the CPU is above this many °C (until it is 5 °C below)',
  config: 'config file (default below)',
  help: 'show this help',
};

/** ` (also --rendertime)` for a flag with an older spelling. */
function olderSpellings(flag: string): string {
  const aliases = Object.entries(SETTING_ALIASES).filter(([, key]) => key === flag);
  return aliases.length === 0 ? '' : ` (also ${aliases.map(([alias]) => `--${alias}`).join(', ')})`;
}

/** The help, with this machine's default config file and cache dir. */
export function helpText(system: SystemPlaces = thisSystem()): string {
  const rows = Object.entries(FLAG_HELP).map(
    ([flag, help]) => `  --${flag.padEnd(16)} ${help}${olderSpellings(flag)}`,
  );
  return [
    'Usage: flock-agent <command> [flags]',
    '',
    'Commands:',
    '  run          log in to the farm and render until stopped (Ctrl-C: finish the frame; twice: now)',
    '  status       print the state of the agent running with this --cache-dir',
    '  retry        the agent running with this --cache-dir asks the farm again now (ends a back-off)',
    '  pause        it pauses after the current frame (--now: at once); resume: it goes on',
    '  resume',
    '  stop         it stops after the current frame and its uploads (--now: at once)',
    "  snooze 2h    it ignores its rules (flags below and the console's) for 2h, 30m or 90 (minutes); snooze off: ends it",
    '  save-config  write the given flags to the config file (mode 0600)',
    '  pair URL CODE  pair with a Flock console (the code comes from its "Add machine"); `run` then',
    '               streams its state to that console and obeys it, and keeps rendering when it is away.',
    '               --fingerprint sha256//…: the console\'s certificate pin ("Add machine" shows it), checked',
    '               on every connection; needed for an https console with its own certificate',
    '  install      install this agent on this machine, pair it and start it as a service (what the',
    "               console's install.sh and install.ps1 run): --console URL --code CODE",
    '               [--fingerprint sha256//…] [--no-service] [--service-scope system|user]',
    '  uninstall    remove the service and the installed agent (--purge: the cache, settings and pairing too)',
    '',
    'Flags (config file keys are the same names without "--"):',
    ...rows,
    `  --${'now'.padEnd(16)} with pause or stop: at once, stopping the current render (reported as type 20)`,
    '',
    'Defaults on this machine:',
    `  config file      ${defaultConfigPath(system)}`,
    `  cache dir        ${defaultCacheDir(system)}`,
    '  (Linux: $XDG_CONFIG_HOME/flock or ~/.config/flock, $XDG_CACHE_HOME/flock or ~/.cache/flock;',
    '   macOS: ~/Library/Application Support/flock, ~/Library/Caches/flock;',
    '   Windows: %APPDATA%\\flock, %LOCALAPPDATA%\\flock)',
  ].join('\n');
}

/** Flags of `install` and `uninstall`, each allowed only with its command. */
const INSTALL_FLAGS = {
  console: { type: 'string', command: 'install' },
  code: { type: 'string', command: 'install' },
  'no-service': { type: 'boolean', command: 'install' },
  'service-scope': { type: 'string', command: 'install' },
  purge: { type: 'boolean', command: 'uninstall' },
} as const;

export interface InstallFlags {
  console?: string;
  code?: string;
  noService: boolean;
  serviceScope?: 'system' | 'user';
  purge: boolean;
}

function installFlags(values: Record<string, unknown>, command: string): InstallFlags {
  for (const [flag, spec] of Object.entries(INSTALL_FLAGS)) {
    if (values[flag] !== undefined && command !== spec.command)
      throw new ConfigError(flag, `only goes with ${spec.command}`);
  }
  const scope = values['service-scope'];
  if (scope !== undefined && scope !== 'system' && scope !== 'user')
    throw new ConfigError('service-scope', `"${String(scope)}" is not system or user`);
  const given = (['console', 'code'] as const).filter((flag) => typeof values[flag] === 'string');
  return {
    ...(Object.fromEntries(given.map((flag) => [flag, values[flag]])) as Pick<
      InstallFlags,
      (typeof given)[number]
    >),
    ...(scope !== undefined ? { serviceScope: scope } : {}),
    noService: values['no-service'] === true,
    purge: values.purge === true,
  };
}

/** Commands sent to the running agent through its local control channel. */
export const CONTROL_COMMANDS = ['retry', 'pause', 'resume', 'stop', 'snooze'] as const;
export type ControlCommandName = (typeof CONTROL_COMMANDS)[number];

/** `snooze 2h`, `snooze 30m`, `snooze 90` (minutes), `snooze off` (0: ends a snooze) → minutes. */
export function parseSnoozeMinutes(value: string): number {
  const given = value.trim().toLowerCase();
  if (given === 'off') return 0;
  const match = /^(\d{1,6})\s*(h|m|min)?$/.exec(given);
  const minutes = match ? Number(match[1]) * (match[2] === 'h' ? 60 : 1) : Number.NaN;
  const { min, max } = RULE_BOUNDS.snoozeMinutes;
  if (!Number.isInteger(minutes) || minutes < min || minutes > max)
    throw new ConfigError(
      'snooze',
      `"${value}" is not a time like 2h, 30m or 90 (minutes, at most ${max}), or off`,
    );
  return minutes;
}

const COMMANDS = [
  'run',
  'status',
  'save-config',
  'pair',
  'install',
  'uninstall',
  'help',
  ...CONTROL_COMMANDS,
] as const;

export interface ParsedCommandLine {
  command: (typeof COMMANDS)[number];
  /** Positional arguments after the command (`pair <console-url> <code>`). */
  args: string[];
  /** Only the flags given on the command line. */
  flags: RawSettings;
  configFile: string;
  configExplicit: boolean;
  /** `pause --now`, `stop --now`. */
  now: boolean;
  /** `pair|install … --fingerprint sha256//…`: the console's certificate pin. */
  fingerprint?: string;
  /** The machine the defaults come from (config dir, cache dir). */
  system: SystemPlaces;
  /** Set when the config is read from where an earlier Flock kept it: what to tell the user. */
  configNotice?: string;
  install: InstallFlags;
}

export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  machine: Omit<SystemPlaces, 'env'> = thisSystem(env),
): ParsedCommandLine {
  const system: SystemPlaces = { ...machine, env };
  const flagNames = [...SETTING_KEYS, ...Object.keys(SETTING_ALIASES)];
  const options = Object.fromEntries(
    flagNames.map((key) => [
      key,
      { type: (SWITCH_KEYS as readonly string[]).includes(key) ? ('boolean' as const) : ('string' as const) },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        ...options,
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        now: { type: 'boolean' },
        ...Object.fromEntries(Object.entries(INSTALL_FLAGS).map(([flag, { type }]) => [flag, { type }])),
        fingerprint: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new ConfigError('arguments', (error as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const [command = 'help', ...extra] = parsed.positionals;
  const expectedArgs = command === 'pair' ? 2 : command === 'snooze' ? 1 : 0;
  if (extra.length > expectedArgs) {
    throw new ConfigError('arguments', `unexpected argument "${extra[expectedArgs]}"`);
  }
  if (extra.length < expectedArgs)
    throw new ConfigError(
      'arguments',
      command === 'snooze'
        ? 'usage: snooze <2h | 30m | minutes | off>'
        : 'usage: pair <console-url> <code> [--fingerprint sha256//…]',
    );
  const help = parsed.values.help === true;
  if (!help && !(COMMANDS as readonly string[]).includes(command)) {
    throw new ConfigError('arguments', `unknown command "${command}" (${COMMANDS.join(', ')})`);
  }
  const { config, help: _help, now, fingerprint, ...rest } = parsed.values;
  if (now === true && command !== 'pause' && command !== 'stop') {
    throw new ConfigError('now', 'only goes with pause or stop');
  }
  if (fingerprint !== undefined && command !== 'pair' && command !== 'install')
    throw new ConfigError('fingerprint', 'only goes with pair or install');
  const legacy = typeof config === 'string' ? undefined : legacyConfigDir(system);
  const install = installFlags(rest, command);
  const flags = Object.fromEntries(Object.entries(rest).filter(([key]) => !(key in INSTALL_FLAGS)));
  return {
    command: help ? 'help' : (command as ParsedCommandLine['command']),
    args: extra,
    flags: canonicalSettings(flags),
    configFile: typeof config === 'string' ? config : defaultConfigPath(system),
    configExplicit: typeof config === 'string',
    now: now === true,
    ...(typeof fingerprint === 'string' ? { fingerprint } : {}),
    system,
    ...(legacy && {
      configNotice:
        `using the config in ${legacy}, where an earlier version kept it; ` +
        `this system's place for it is ${osConfigDir(system)} (move the files there to use it)`,
    }),
    install,
  };
}

/** Defaults < config file < FLOCK_PASSWORD < flags. */
export async function resolveSettings(
  commandLine: ParsedCommandLine,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentSettings> {
  const file = await readConfigFile(commandLine.configFile, commandLine.configExplicit);
  const fromEnv: RawSettings = env.FLOCK_PASSWORD ? { password: env.FLOCK_PASSWORD } : {};
  return toSettings(
    { ...file, ...fromEnv, ...commandLine.flags },
    { cacheDir: defaultCacheDir(commandLine.system) },
  );
}
