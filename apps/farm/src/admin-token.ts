import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The admin API's own credential, separate from the farm accounts that clients log in with. */
export const ADMIN_TOKEN_FILE = 'admin-token';
export const ADMIN_TOKEN_MIN_LENGTH = 16;

export interface AdminToken {
  token: string;
  /** Where the token came from: the file it was read from or created in, or null when it was given. */
  file: string | null;
}

/**
 * The token given (option, `--admin-token`, `FLOCK_FARM_ADMIN_TOKEN`), else the one in the data dir,
 * else a new random one (256 bits) written there with mode 0600 at first start.
 */
export async function resolveAdminToken(dataDir: string, given?: string): Promise<AdminToken> {
  if (given !== undefined) {
    if (!isUsableToken(given)) {
      throw new Error(
        `the admin token must be at least ${ADMIN_TOKEN_MIN_LENGTH} printable characters without spaces`,
      );
    }
    return { token: given, file: null };
  }
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const stored = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (stored !== null && isUsableToken(stored.trim())) return { token: stored.trim(), file };
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode only applies when it creates the file
  return { token, file };
}

/** 16 to 512 printable ASCII characters, no spaces: long enough to be a secret, safe in a header. */
export function isUsableToken(token: string): boolean {
  return token.length >= ADMIN_TOKEN_MIN_LENGTH && token.length <= 512 && /^[\x21-\x7e]+$/.test(token);
}

/** True for `Authorization: Bearer <token>` with exactly this token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
