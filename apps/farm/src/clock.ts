/**
 * The farm never reads the time directly: session expiry and fault windows go through a FarmClock so
 * tests move time by hand instead of sleeping.
 */
export interface FarmClock {
  now(): number;
}

export const systemClock: FarmClock = { now: () => Date.now() };

/** A clock for tests: time moves only when `advance` or `set` is called. */
export class ManualFarmClock implements FarmClock {
  constructor(private current = Date.UTC(2026, 0, 5, 12, 0, 0)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(epochMs: number): void {
    this.current = epochMs;
  }
}
