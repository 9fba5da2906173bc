import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import {
  type CertPin,
  type LinkCredentials,
  LinkCredentialsSchema,
  normalizePairingCode,
  PAIR_PATH,
  PairResponseSchema,
} from '@flock/protocol';
import { request } from 'undici';
import { defaultConfigDir as configDirOf, LINK_CREDENTIALS_FILE, thisSystem } from '../config/paths.js';
import {
  certificateErrorCode,
  certificateMismatch,
  consoleDispatcher,
  parseFingerprint,
} from './console-http';

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
  /**
   * The console's certificate pin, `sha256//…` ("Add machine" shows it): checked before the code is
   * sent and on every later connection. An https console without one must present a certificate this
   * machine's certificate authorities trust.
   */
  fingerprint?: string;
}

/** The largest pairing answer read: a machine id and a secret. */
const PAIR_ANSWER_LIMIT = 64 * 1024;

/**
 * Exchanges a one-time code shown by the console for this agent's own secret, and stores it 0600
 * next to the agent config (with the console's pin, when given). Returns where it was written.
 */
export async function pair(consoleUrl: string, code: string, options: PairOptions = {}): Promise<string> {
  const base = consoleBase(consoleUrl);
  const pin = pinFor(base, options.fingerprint);
  const dispatcher = consoleDispatcher(base.origin, pin);
  let status: number;
  let body: unknown;
  try {
    const response = await request(new URL(PAIR_PATH, base).toString(), {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: normalizePairingCode(code), hostname: options.hostname ?? osHostname() }),
    });
    status = response.statusCode;
    body = await readAnswer(response.body);
  } catch (error) {
    throw pairingFailure(error, base.origin, code);
  } finally {
    await dispatcher.close();
  }
  if (status < 200 || status > 299) {
    const reason = (body as { error?: unknown } | null)?.error;
    throw new PairingError(
      `pairing refused (${status}): ${typeof reason === 'string' ? reason : 'no reason given'}`,
    );
  }
  const parsed = PairResponseSchema.safeParse(body);
  if (!parsed.success) throw new PairingError('the console answered pairing with something unexpected');
  return saveLinkCredentials(options.configDir ?? defaultConfigDir(), {
    consoleUrl: base.origin,
    ...parsed.data,
    ...(pin ? { pin } : {}),
  });
}

function consoleBase(consoleUrl: string): URL {
  let base: URL;
  try {
    base = new URL(consoleUrl);
  } catch {
    throw new PairingError(`"${consoleUrl}" is not a console address like https://192.168.1.10:3000`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new PairingError(`"${consoleUrl}" must be an http:// or https:// address`);
  return base;
}

function pinFor(base: URL, fingerprint: string | undefined): CertPin | undefined {
  if (fingerprint === undefined) return undefined;
  const parsed = parseFingerprint(fingerprint);
  if ('error' in parsed) throw new PairingError(`--fingerprint: ${parsed.error}`);
  if (base.protocol !== 'https:')
    throw new PairingError(
      `--fingerprint pins an https console, but ${base.origin} is plain http: use the https:// address "Add machine" shows`,
    );
  return parsed.pin;
}

/** A failed pairing request, in words that say what to do. */
function pairingFailure(error: unknown, origin: string, code: string): PairingError {
  const mismatch = certificateMismatch(error);
  if (mismatch)
    return new PairingError(
      `the console at ${origin} presented a certificate whose key does not match --fingerprint (expected ${mismatch.pinned}, got ${mismatch.presented ?? 'none'}); the code was not sent. Check the fingerprint in the console's "Add machine".`,
    );
  const untrusted = certificateErrorCode(error);
  if (untrusted)
    return new PairingError(
      `the console at ${origin} uses a certificate this machine does not trust (${untrusted}); the code was not sent. Pair with its fingerprint: flock-agent pair ${origin} ${code} --fingerprint sha256//… — the console's "Add machine" shows the whole command, and the console prints the fingerprint when it starts.`,
    );
  return new PairingError(`cannot reach the console at ${origin}: ${(error as Error).message}`);
}

async function readAnswer(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > PAIR_ANSWER_LIMIT) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return parseJson(Buffer.concat(chunks).toString('utf8'));
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
