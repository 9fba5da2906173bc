import type { LinkCredentials } from '@flock/protocol';
import type { Clock } from '../clock';

export interface NewPairingWatch {
  /** The credentials the console refused. */
  refused: LinkCredentials;
  /** Reads the stored credentials (those `flock-agent pair` writes); none: wait until `signal` aborts. */
  source?: () => Promise<LinkCredentials | null>;
  checkMs: number;
  clock: Clock;
  signal: AbortSignal;
}

/**
 * Waits until other credentials than the refused ones are stored (the machine was paired again),
 * reading them every `checkMs`. Null when `signal` aborts first.
 */
export async function waitForNewPairing(watch: NewPairingWatch): Promise<LinkCredentials | null> {
  const { refused, source, signal } = watch;
  if (signal.aborted) return null;
  if (!source) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return null;
  }
  for (;;) {
    try {
      await watch.clock.sleep(watch.checkMs, signal);
    } catch {
      return null;
    }
    // A file being rewritten by `pair` may read as damaged for a moment: look again next time.
    const stored = await source().catch(() => null);
    if (stored && (stored.machineId !== refused.machineId || stored.secret !== refused.secret)) return stored;
  }
}
