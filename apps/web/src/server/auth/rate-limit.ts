/**
 * A sliding-window limiter per key (client address): at most `limit` attempts per `windowMs`.
 * Time comes from `now` so tests need not wait.
 */
export class RateLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an attempt; false when the key is over its limit (the attempt is then refused). */
  attempt(key: string): boolean {
    if (this.limited(key)) return false;
    this.record(key);
    return true;
  }

  /** Whether the key used up its attempts in the current window (nothing is recorded). */
  limited(key: string): boolean {
    const since = this.now() - this.windowMs;
    const recent = (this.attempts.get(key) ?? []).filter((at) => at > since);
    this.attempts.set(key, recent);
    return recent.length >= this.limit;
  }

  /** Counts one attempt against the key, e.g. a wrong password. */
  record(key: string): void {
    const since = this.now() - this.windowMs;
    this.attempts.set(key, [...(this.attempts.get(key) ?? []).filter((at) => at > since), this.now()]);
    if (this.attempts.size > 10_000) this.prune(since);
  }

  /** Gives back the key's latest attempt, e.g. one reserved before a password turned out right. */
  release(key: string): void {
    this.attempts.get(key)?.pop();
  }

  private prune(since: number): void {
    for (const [key, times] of this.attempts) if (!times.some((at) => at > since)) this.attempts.delete(key);
  }
}
