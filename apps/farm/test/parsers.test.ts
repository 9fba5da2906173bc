import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFrameImage } from '../src/image-check';
import { FAULT_ENDPOINTS, parseFaultSpec } from '../src/index';
import { png } from './helpers/farm';

describe('frame image check', () => {
  it('never throws on arbitrary bytes, and only a decodable PNG of the right size passes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const check = checkFrameImage(Buffer.from(bytes), { width: 4, height: 4 });
        expect(check.kind).not.toBe('ok');
      }),
    );
    const good = png(4, 4);
    expect(checkFrameImage(good, { width: 4, height: 4 })).toEqual({ kind: 'ok' });
    fc.assert(
      fc.property(fc.integer({ min: 24, max: good.length - 1 }), (length) => {
        expect(checkFrameImage(good.subarray(0, length), { width: 4, height: 4 }).kind).toBe('not-image');
      }),
    );
  });
});

describe('fault spec parser', () => {
  it('returns a valid spec or throws a readable Error for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          const spec = parseFaultSpec(JSON.stringify(value));
          expect(FAULT_ENDPOINTS).toContain(spec.endpoint);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/^invalid fault: |^fault is not JSON/);
        }
      }),
    );
  });

  it('accepts well-formed specs of every kind', () => {
    const specs = fc.oneof(
      fc.record({
        kind: fc.constant('status'),
        endpoint: fc.constantFrom('config', 'request-job', 'keepmealive', 'validation', 'error'),
        status: fc.integer({ min: 0, max: 999 }),
      }),
      fc.record({
        kind: fc.constant('delay'),
        endpoint: fc.constantFrom(...FAULT_ENDPOINTS),
        ms: fc.nat(60_000),
      }),
      fc.record({
        kind: fc.constant('slow'),
        endpoint: fc.constantFrom(...FAULT_ENDPOINTS),
        bytesPerSecond: fc.integer({ min: 1 }),
        times: fc.integer({ min: 1, max: 10 }),
      }),
    );
    fc.assert(
      fc.property(specs, (spec) => {
        expect(parseFaultSpec(spec)).toEqual(spec);
      }),
    );
  });
});
