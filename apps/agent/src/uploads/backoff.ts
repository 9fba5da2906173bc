export interface UploadBackoff {
  /** Wait before the 2nd attempt (the official client's: 22 s). */
  firstMs: number;
  /** Wait before the 3rd attempt (the official client's: 44 s); later waits keep doubling up to `maxMs`. */
  secondMs: number;
  maxMs: number;
  /** Up to this fraction is added at random, so agents that failed together do not retry together. */
  jitter: number;
}

export const DEFAULT_UPLOAD_BACKOFF: UploadBackoff = {
  firstMs: 22_000,
  secondMs: 44_000,
  maxMs: 15 * 60_000,
  jitter: 0.25,
};

/** The wait after `failures` failed attempts (1 = after the first failure). */
export function uploadRetryDelay(failures: number, policy: UploadBackoff, random: () => number): number {
  const base =
    failures <= 1
      ? policy.firstMs
      : Math.min(policy.maxMs, policy.secondMs * 2 ** Math.min(failures - 2, 30));
  return Math.round(base * (1 + policy.jitter * random()));
}
