// Slow facts (temperatures, battery) cost a tool run or a sysfs walk: they are read at most once per
// `maxAgeMs` of the injected clock and the last value is served in between. Reads that overlap share
// one run.

export function cachedFor<T>(maxAgeMs: number, now: () => number, read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (last && now() - last.at < maxAgeMs && now() >= last.at) return Promise.resolve(last.value);
    inFlight ??= read()
      .then((value) => {
        last = { at: now(), value };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
