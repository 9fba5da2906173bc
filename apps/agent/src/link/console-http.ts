// Requests the agent makes to its console (pairing; later build downloads): through a dispatcher that
// checks the console's pinned certificate, or the system's certificate authorities without a pin.
import { type CertPin, CertPinSchema } from '@flock/protocol';
import { Agent, type Dispatcher } from 'undici';
import { CertificateMismatchError, pinnedDispatcher } from './pinned-tls';

/** Certificate errors of a TLS connection the system's authorities do not vouch for. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Requests to the console at `origin`: pinned when `pin` is given, else checked by the system's CAs. */
export function consoleDispatcher(origin: string, pin?: CertPin): Dispatcher {
  const timeouts = { headersTimeout: 30_000, bodyTimeout: 30_000 };
  return pin ? pinnedDispatcher(pin, origin) : new Agent({ ...timeouts, connect: { timeout: 30_000 } });
}

/** The certificate error behind a failed request (undici may wrap it), or undefined. */
export function certificateErrorCode(error: unknown): string | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code && UNTRUSTED_CERTIFICATE_CODES.has(code)) return code;
  }
  return undefined;
}

/** The pin-mismatch error behind a failed request, or undefined. */
export function certificateMismatch(error: unknown): CertificateMismatchError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (cause instanceof CertificateMismatchError) return cause;
  return undefined;
}

/** A `--fingerprint` value as a pin, or the reason it is not one. */
export function parseFingerprint(value: string): { pin: CertPin } | { error: string } {
  const parsed = CertPinSchema.safeParse(value.trim());
  return parsed.success
    ? { pin: parsed.data }
    : {
        error: `"${value}" is not a fingerprint like sha256//<44 characters>: copy it from the console's "Add machine"`,
      };
}
