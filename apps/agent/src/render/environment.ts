import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Variables blanked so a user's Blender configuration, add-ons or colour config cannot change a frame. */
const BLANKED = [
  'BLENDER_USER_CONFIG',
  'BLENDER_USER_SCRIPTS',
  'BLENDER_SYSTEM_SCRIPTS',
  'BLENDER_USER_DATAFILES',
  'BLENDER_SYSTEM_DATAFILES',
  'OCIO',
] as const;

export interface RenderEnvironmentInput {
  workDir: string;
  /** The user's core limit; -1 when unset (as the official client). */
  cores?: number;
  priority: number;
}

/** The inherited environment plus docs/protocol.md §4.3 (TMPDIR too: Blender on Linux reads it). */
export function renderEnvironment(base: NodeJS.ProcessEnv, input: RenderEnvironmentInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    TEMP: input.workDir,
    TMP: input.workDir,
    TMPDIR: input.workDir,
    CORES: String(input.cores !== undefined && input.cores > 0 ? input.cores : -1),
    PRIORITY: String(input.priority),
  };
  for (const name of BLANKED) env[name] = '';
  return env;
}

const niceCache = new Map<string, string | null>();

/** The `nice` executable on PATH (Linux and macOS), or null when there is none. */
export function findNice(pathVariable = process.env.PATH ?? '', platform = process.platform): string | null {
  if (platform === 'win32') return null;
  const cached = niceCache.get(pathVariable);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  for (const dir of pathVariable.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, 'nice'), constants.X_OK);
      found = join(dir, 'nice');
      break;
    } catch {
      // not in this directory
    }
  }
  niceCache.set(pathVariable, found);
  return found;
}

/** `nice -n <priority> <argv…>` when nice exists, else argv unchanged. */
export function withPriority(argv: string[], priority: number, nice: string | null): string[] {
  return nice ? [nice, '-n', String(priority), ...argv] : argv;
}
