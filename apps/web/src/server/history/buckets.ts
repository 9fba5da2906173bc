/** Bucket arithmetic of the history roll-ups: pure functions of epoch milliseconds. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Raw `frames` and `events` rows are deleted after this long; the roll-ups keep their sums. */
export const RAW_KEPT_MS = 30 * DAY_MS;
/** Hourly roll-ups of one machine are kept this long. */
export const MACHINE_HOURLY_KEPT_MS = 90 * DAY_MS;
/** Hourly roll-ups of the whole fleet (a few rows an hour) are kept longer: a year of local days. */
export const FLEET_HOURLY_KEPT_MS = 400 * DAY_MS;

/** The start of the bucket of `size` ms (an hour or a UTC day) that holds `at`. */
export const bucketOf = (at: number, size: number): number => Math.floor(at / size) * size;

/** The first bucket of `size` ms that starts at or after `at`. */
export const bucketAtOrAfter = (at: number, size: number): number => Math.ceil(at / size) * size;

/** The start of the UTC month that holds `at` (months are not all as long: no fixed size). */
export function monthOf(at: number): number {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** The first UTC month that starts at or after `at`. */
export function monthAtOrAfter(at: number): number {
  const start = monthOf(at);
  if (start === at) return at;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/**
 * The pieces of [from, to) that fall into each bucket of `size` ms, as (bucket start, ms within it):
 * connected time is spread over the hours and days it covers.
 */
export function splitIntoBuckets(from: number, to: number, size: number): { bucket: number; ms: number }[] {
  const pieces: { bucket: number; ms: number }[] = [];
  for (let bucket = bucketOf(from, size); bucket < to; bucket += size) {
    const ms = Math.min(to, bucket + size) - Math.max(from, bucket);
    if (ms > 0) pieces.push({ bucket, ms });
  }
  return pieces;
}

/**
 * Epoch ms of the local midnight that starts the day holding `at`, in a time zone `tzOffsetMinutes`
 * ahead of UTC (+330 for India, −480 for California in winter).
 */
export function localDayStart(at: number, tzOffsetMinutes: number): number {
  const offsetMs = tzOffsetMinutes * 60_000;
  return bucketOf(at + offsetMs, DAY_MS) - offsetMs;
}
