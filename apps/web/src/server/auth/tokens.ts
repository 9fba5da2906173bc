import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { PAIRING_CODE_ALPHABET } from '@flock/protocol';

/** 256 random bits, URL-safe. Used for session tokens and agent secrets. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * SHA-256, not a slow KDF: these are 256-bit random tokens, not human passwords, so brute force is
 * hopeless either way and lookups stay cheap for thousands of agents.
 */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A pairing code people can read out and type: 8 unambiguous characters shown as XXXX-XXXX. */
export function newPairingCode(): string {
  const chars = Array.from(
    { length: 8 },
    () => PAIRING_CODE_ALPHABET[randomInt(PAIRING_CODE_ALPHABET.length)],
  );
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}
