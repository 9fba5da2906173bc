/**
 * One token bucket per key: `capacity` tokens to start with, one more every `refillMs` (up to the
 * capacity again), on the console's clock. A key with no token left is refused until one is back.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly refillMs: number,
    private readonly now: () => number,
  ) {}

  /** Takes a token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
    const tokens = bucket ? Math.min(this.capacity, bucket.tokens + elapsed / this.refillMs) : this.capacity;
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    return allowed;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
