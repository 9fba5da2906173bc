import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyBlenderErrorLine, createBlenderOutputParser, ERROR_TYPES } from '../src/index';

/** Pieces of real Blender lines, so generated lines reach deep into every pattern. */
const FRAGMENTS = [
  'Fra:',
  '1 ',
  'Mem:',
  '8.81M',
  ' (Peak ',
  '10,28G)',
  ' | ',
  'Time:00:00.15',
  'Remaining:',
  '1:02:03.50',
  '99999999999999999999999:00',
  'Peak:',
  ' Sample ',
  ' Rendered ',
  ' Rendering ',
  ' Path Tracing Tile ',
  ' / ',
  '/',
  '0',
  '4',
  '18446744073709551616',
  ' Tiles',
  ' samples',
  'Compositing',
  'Denoising',
  'Finished',
  "Saved: '",
  "'",
  'Read blend: ',
  'Blender ',
  '3.4.1',
  'Blender quit',
  'Error: ',
  'Build without ',
  'OpenImageDenoiser',
  'Traceback (most recent call last)',
  '\r',
  '\t',
  'é',
  '\u0000',
];

const blenderish = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 24 }).map((parts) => parts.join(''));
const anyLine = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), blenderish);
const updateMethod = fc.constantFrom('remainingtime', 'by_tile', '', 'blenderinternal');

describe('Blender output parser properties', () => {
  it('never throws, and progress stays a whole percent in 0–100 that never goes back', () => {
    fc.assert(
      fc.property(
        updateMethod,
        fc.array(anyLine, { maxLength: 40 }),
        fc.integer(),
        (method, lines, start) => {
          const parser = createBlenderOutputParser({ updateMethod: method });
          let previous = 0;
          lines.forEach((line, index) => {
            for (const event of parser.feed(line, start + index)) {
              if (event.type !== 'progress') continue;
              expect(Number.isInteger(event.percent)).toBe(true);
              expect(event.percent).toBeGreaterThanOrEqual(Math.max(0, previous));
              expect(event.percent).toBeLessThanOrEqual(100);
              previous = event.percent;
            }
          });
          parser.end(start + lines.length);
          const summary = parser.summary();
          if (summary.renderMs !== undefined) expect(summary.renderMs).toBeGreaterThanOrEqual(0);
          if (summary.peakKiB !== undefined) expect(Number.isFinite(summary.peakKiB)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('classifies any line as a known error type or nothing', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const errorType = classifyBlenderErrorLine(line);
        if (errorType !== undefined) expect(ERROR_TYPES[errorType]).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('copes with a runaway line of several megabytes', () => {
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    const huge = `Fra:1 Mem:1M ${'| Peak 1M '.repeat(400_000)}| Sample 2/4`;
    expect(() => parser.feed(huge)).not.toThrow();
    expect(() => classifyBlenderErrorLine(`Error: Build without ${'x'.repeat(4_000_000)}`)).not.toThrow();
  });
});
