// The compact form a frame's job phases are stored in: every list of phases the agent may send comes
// back as sent, and whatever the column holds decodes to a list of phases without throwing.
import { JobPhaseSchema, type JobPhaseSpan } from '@flock/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePhaseSpans, encodePhaseSpans } from '../src/server/db/phase-spans';

/** Phases in order, each once at most, each starting once the previous one ended (as the agent sends). */
const spansArbitrary = fc
  .tuple(
    fc.subarray([...JobPhaseSchema.options]),
    fc.integer({ min: 0, max: 2 ** 45 }),
    fc.array(fc.tuple(fc.nat(10 ** 7), fc.nat(10 ** 8)), { minLength: 5, maxLength: 5 }),
  )
  .map(([phases, start, steps]) => {
    let at = start;
    return phases.map((phase, i): JobPhaseSpan => {
      const [gap, length] = steps[i] ?? [0, 0];
      const span = { phase, startedAt: at + gap, endedAt: at + gap + length };
      at = span.endedAt;
      return span;
    });
  });

describe('stored job phases', () => {
  it('come back as the agent sent them', () => {
    fc.assert(
      fc.property(spansArbitrary, (spans) => {
        const stored = JSON.parse(JSON.stringify(encodePhaseSpans(spans)));
        expect(decodePhaseSpans(stored)).toEqual(spans);
      }),
    );
  });

  it('decode anything to a list of phases without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (stored) => {
        const spans = decodePhaseSpans(stored);
        expect(Array.isArray(spans)).toBe(true);
        for (const span of spans) {
          expect(JobPhaseSchema.options).toContain(span.phase);
          expect(Number.isSafeInteger(span.startedAt) && Number.isSafeInteger(span.endedAt)).toBe(true);
        }
      }),
    );
  });
});
