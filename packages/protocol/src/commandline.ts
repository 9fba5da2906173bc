import { ProtocolError } from './errors';

/** What the agent knows when it turns a job's `renderer@commandline` into an argv. */
export interface BlenderArgvInput {
  /** `renderer@commandline`, e.g. `.e --factory-startup --disable-autoexec -noaudio -b .c -o .o -f .f`. */
  commandline: string;
  /** Absolute path of the renderer executable (`rend.exe` inside the extracted renderer archive). */
  rendererPath: string;
  /** Absolute path of the extracted .blend. */
  blendPath: string;
  /** Absolute path of the script file (server `<script>` + the client's core script). */
  scriptPath: string;
  /** `<work>/<jobId>_`: Blender appends the 4-digit frame and the extension. */
  outputPrefix: string;
  /** `job@frame` exactly as sent (e.g. `0007`). */
  frame: string;
  /** The user's core limit; only a positive integer adds `-t N` (unset, 0 or -1 mean "all cores"). */
  cores?: number;
}

/**
 * Tokens are separated by spaces or tabs (docs/protocol.md §4.1: the official client splits on single
 * spaces and would pass empty arguments for repeated ones; we skip them like the Rust client). Tokens
 * are never shell-interpreted: quotes, `$`, `;` … reach Blender as literal characters, because the argv
 * is spawned without a shell.
 */
const TOKEN_SEPARATOR = /[ \t\r\n]+/;

const PLACEHOLDERS = new Set(['.e', '.c', '.o', '.f']);
/**
 * An argument of the farm's own: an option or a plain value (`--engine`, `CYCLES`, `-x`, `1`, `0.5`).
 * No `/` or `\\`, no leading `.`: it cannot name a file outside the job's working directory, and
 * no quotes, spaces or parentheses: it cannot carry Python code (`--python-expr`). The server
 * script still runs as Python inside Blender, by the protocol's design; the arguments add nothing.
 */
const FARM_ARGUMENT = /^[A-Za-z0-9_=,:+-][A-Za-z0-9._=,:+-]*$/;
const MAX_COMMANDLINE_CHARS = 4096;

function tokensOf(commandline: string): string[] {
  return commandline.split(TOKEN_SEPARATOR).filter((token) => token !== '');
}

/**
 * Why `renderer@commandline` is refused, or undefined: it must start with `.e` (a farm must not be
 * able to make the agent run another program) and every other token must be a placeholder or a
 * FARM_ARGUMENT.
 */
export function commandlineProblem(commandline: string): string | undefined {
  if (commandline.length > MAX_COMMANDLINE_CHARS) return `longer than ${MAX_COMMANDLINE_CHARS} characters`;
  const tokens = tokensOf(commandline);
  if (tokens[0] !== '.e') return `must start with .e, got "${(tokens[0] ?? '').slice(0, 100)}"`;
  const bad = tokens.find((token) => !PLACEHOLDERS.has(token) && !FARM_ARGUMENT.test(token));
  return bad === undefined ? undefined : `argument "${bad.slice(0, 100)}" is not a plain option or value`;
}

/**
 * Builds the argv to spawn Blender (argv[0] is the renderer; no `nice`: the agent prefixes priority).
 * `.e` → renderer path (+ `-t N`), `.c` → blend path, `-P`, script path, `.o` → output prefix,
 * `.f` → frame; anything else verbatim. The command line must pass commandlineProblem.
 */
export function buildBlenderArgv(input: BlenderArgvInput): string[] {
  const problem = commandlineProblem(input.commandline);
  if (problem !== undefined) throw new ProtocolError('invalid-value', `commandline ${problem}`);
  const tokens = tokensOf(input.commandline);
  requireNonEmpty(input);
  const threads = threadArguments(input.cores);
  return tokens.flatMap((token) => expandToken(token, input, threads));
}

function expandToken(token: string, input: BlenderArgvInput, threads: string[]): string[] {
  switch (token) {
    case '.e':
      return [input.rendererPath, ...threads];
    case '.c':
      return [input.blendPath, '-P', input.scriptPath];
    case '.o':
      return [input.outputPrefix];
    case '.f':
      return [input.frame];
    default:
      return [token];
  }
}

const REQUIRED_VALUES = ['rendererPath', 'blendPath', 'scriptPath', 'outputPrefix', 'frame'] as const;

/** An empty substitution would become an empty argument that Blender misreads (e.g. `-o ''`). */
function requireNonEmpty(input: BlenderArgvInput): void {
  for (const key of REQUIRED_VALUES) {
    if (input[key] === '') throw new ProtocolError('invalid-value', `${key} must not be empty`);
  }
}

function threadArguments(cores: number | undefined): string[] {
  if (cores === undefined || cores <= 0) return [];
  if (!Number.isSafeInteger(cores)) {
    throw new ProtocolError('invalid-value', `cores must be a whole number, got ${cores}`);
  }
  return ['-t', String(cores)];
}
