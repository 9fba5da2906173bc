import { z } from 'zod';

// A console's certificate is pinned by its public key, as curl's `--pinnedpubkey` does: the SHA-256 of
// the certificate's SubjectPublicKeyInfo (DER), base64, after `sha256//`. A renewed certificate with the
// same key keeps its pin; a new key is a new pin.

export const CERT_PIN_PREFIX = 'sha256//';

/** `sha256//` and the 44 base64 characters of a SHA-256 digest. */
export const CertPinSchema = z
  .string()
  .regex(/^sha256\/\/[A-Za-z0-9+/]{43}=$/, 'not a pin like sha256//<44 base64 characters>');
export type CertPin = z.infer<typeof CertPinSchema>;

/** The pin of a key whose SubjectPublicKeyInfo hashes to `sha256Base64`. */
export const certPinOfDigest = (sha256Base64: string): CertPin => `${CERT_PIN_PREFIX}${sha256Base64}`;
