import { describe, expect, it } from 'vitest';
import { heartbeatIntervalMs } from '../src/farm/heartbeat.js';

describe('heartbeat interval (decision 4)', () => {
  it('is min(15 min, 0.75 × max-period)', () => {
    expect(heartbeatIntervalMs(undefined)).toBe(15 * 60_000);
    expect(heartbeatIntervalMs(1440)).toBe(15 * 60_000);
    expect(heartbeatIntervalMs(1200)).toBe(15 * 60_000);
    expect(heartbeatIntervalMs(1000)).toBe(750_000);
    expect(heartbeatIntervalMs(60)).toBe(45_000);
    expect(heartbeatIntervalMs(0)).toBe(15 * 60_000);
  });
});
