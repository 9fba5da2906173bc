import type { EventEmitter } from 'node:events';

/**
 * Yields the ids that changed on `events` (id → event name), at most once per `intervalMs`, until
 * `signal` aborts. Many updates to one machine inside the window cost one message to the browser.
 * Listening starts at the call, not at the first iteration, so nothing that happens while the caller
 * sends its initial snapshot is missed; it ends with the iteration or the signal, whichever is first.
 */
export function coalescedIds(
  bus: EventEmitter,
  events: readonly string[],
  signal: AbortSignal | undefined,
  intervalMs: number,
  only?: string,
): AsyncGenerator<Map<string, string>> {
  let pending = new Map<string, string>();
  let wake: (() => void) | undefined;
  const listeners = events.map((event) => {
    const listener = (id: string) => {
      if (only !== undefined && id !== only) return;
      pending.set(id, event);
      wake?.();
    };
    bus.on(event, listener);
    return () => bus.off(event, listener);
  });
  const stopListening = () => {
    for (const off of listeners) off();
  };
  signal?.addEventListener('abort', stopListening, { once: true });
  const aborted = new Promise<void>((resolve) =>
    signal?.addEventListener('abort', () => resolve(), { once: true }),
  );

  async function* batches(): AsyncGenerator<Map<string, string>> {
    try {
      while (!signal?.aborted) {
        if (pending.size === 0)
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
        wake = undefined;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, intervalMs)), aborted]);
        if (signal?.aborted) return;
        const batch = pending;
        pending = new Map();
        yield batch;
      }
    } finally {
      stopListening();
    }
  }
  return batches();
}
