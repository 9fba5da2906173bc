import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt from node:crypto: memory-hard (N=2^15, r=8 → 32 MiB per hash) and built into Node, so the
// console installs offline with no native addon. argon2 would need a node-gyp build (or prebuilt
// binaries from GitHub, which this network cannot reach) for no security gain at this scale.

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url), so the parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export const MIN_PASSWORD_LENGTH = 10;

/** Password checks and hashes that may run at once: the libuv thread pool's size, 128 MiB of scrypt. */
export const HASH_SLOTS = 4;

/**
 * Bounds how many scrypt derivations run at once. When every slot is taken the caller is refused at
 * once instead of queued, so a burst of requests can neither pile up memory nor starve the console.
 */
export class HashSlots {
  private inUse = 0;
  /** Derivations let in since the console started (each one a password checked or hashed). */
  admitted = 0;

  constructor(readonly size = HASH_SLOTS) {}

  /** Runs `work` in a slot; null (and `work` never runs) when every slot is taken. */
  async run<T>(work: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.inUse >= this.size) return null;
    this.inUse++;
    this.admitted++;
    try {
      return { value: await work() };
    } finally {
      this.inUse--;
    }
  }
}
