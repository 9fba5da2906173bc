import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import {
  type LinkCredentials,
  LinkCredentialsSchema,
  normalizePairingCode,
  PAIR_PATH,
  PairResponseSchema,
} from '@flock/protocol';
import { defaultConfigDir as configDirOf, LINK_CREDENTIALS_FILE, thisSystem } from '../config/paths.js';

export { LINK_CREDENTIALS_FILE };

/** The agent's config dir by this OS's conventions (config/paths.ts); the CLI passes its own. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return configDirOf(thisSystem(env));
}

export class PairingError extends Error {
  override readonly name = 'PairingError';
}

export interface PairOptions {
  configDir?: string;
  hostname?: string;
  fetch?: typeof fetch;
}

/**
 * Exchanges a one-time code shown by the console for this agent's own secret, and stores it 0600
 * next to the agent config. Returns where it was written.
 */
export async function pair(consoleUrl: string, code: string, options: PairOptions = {}): Promise<string> {
  const base = new URL(consoleUrl);
  const response = await (options.fetch ?? fetch)(new URL(PAIR_PATH, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: normalizePairingCode(code), hostname: options.hostname ?? osHostname() }),
  }).catch((error: Error) => {
    throw new PairingError(`cannot reach the console at ${base.origin}: ${error.message}`);
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = (body as { error?: unknown } | null)?.error;
    throw new PairingError(
      `pairing refused (${response.status}): ${typeof reason === 'string' ? reason : 'no reason given'}`,
    );
  }
  const parsed = PairResponseSchema.safeParse(body);
  if (!parsed.success) throw new PairingError('the console answered pairing with something unexpected');
  return saveLinkCredentials(options.configDir ?? defaultConfigDir(), {
    consoleUrl: base.origin,
    ...parsed.data,
  });
}

/** Written beside and renamed into place: a running agent looking for it never reads half a file. */
export async function saveLinkCredentials(configDir: string, credentials: LinkCredentials): Promise<string> {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const file = join(configDir, LINK_CREDENTIALS_FILE);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600); // writeFile's mode only applies when it creates the file
  await rename(partial, file);
  return file;
}

/**
 * Stores the console's name for the machine beside its credentials, so the first login after a
 * restart sends it before the link is up; nothing when the stored credentials are another machine's.
 */
export async function saveMachineName(configDir: string, machineId: string, name: string): Promise<void> {
  const stored = await loadLinkCredentials(configDir);
  if (stored?.machineId !== machineId || stored.machineName === name) return;
  await saveLinkCredentials(configDir, { ...stored, machineName: name });
}

/** The stored credentials, or null when this agent was never paired. */
export async function loadLinkCredentials(configDir = defaultConfigDir()): Promise<LinkCredentials | null> {
  const text = await readFile(join(configDir, LINK_CREDENTIALS_FILE), 'utf8').catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    },
  );
  if (text === null) return null;
  const parsed = LinkCredentialsSchema.safeParse(parseJson(text));
  if (!parsed.success) throw new PairingError(`${LINK_CREDENTIALS_FILE} is damaged: pair this agent again`);
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
