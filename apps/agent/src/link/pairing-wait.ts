import type { LinkCredentials } from '@flock/protocol';
import type { Clock } from '../clock';

/** How often a running agent reads the credentials `flock-agent pair` stores, while it waits for them. */
export const PAIRING_CHECK_MS = 2000;

export interface PairingWait {
  /** Reads the stored credentials (those `flock-agent pair` writes); none: only `signal` ends the wait. */
  source?: () => Promise<LinkCredentials | null>;
  /** Credentials that do not count: those the console refused. Without them, any stored ones count. */
  refused?: LinkCredentials;
  /** Default PAIRING_CHECK_MS. */
  checkMs?: number;
  clock: Clock;
  signal: AbortSignal;
  /** Stored credentials that cannot be read; they are read again at the next check. */
  onUnreadable?: (error: Error) => void;
}

/**
 * The one wait for `flock-agent pair`: of an agent never paired, and of one the console removed.
 * Reads the stored credentials every `checkMs` until there are some other than the refused ones (a
 * file being rewritten by `pair` may read as damaged for a moment: it is read again next time).
 * Null when `signal` aborts first.
 */
export async function waitForPairing(wait: PairingWait): Promise<LinkCredentials | null> {
  const { source, signal } = wait;
  if (!source) {
    if (!signal.aborted)
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return null;
  }
  for (;;) {
    try {
      await wait.clock.sleep(wait.checkMs ?? PAIRING_CHECK_MS, signal);
    } catch {
      return null;
    }
    const stored = await source().catch((error: Error) => {
      wait.onUnreadable?.(error);
      return null;
    });
    if (stored && !(wait.refused && sameCredentials(stored, wait.refused))) return stored;
  }
}

function sameCredentials(a: LinkCredentials, b: LinkCredentials): boolean {
  return a.machineId === b.machineId && a.secret === b.secret;
}
