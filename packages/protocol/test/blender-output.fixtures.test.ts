import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BlenderOutputEvent,
  type BlenderOutputSummary,
  createBlenderOutputParser,
  ErrorType,
} from '../src/index';
import { CAPTURE_DIR } from './fixtures/blender/cases';

/** Real Blender 3.4.1 output (test/fixtures/blender/README.md). */
function fixtureLines(name: string): string[] {
  return readFileSync(join(import.meta.dirname, 'fixtures', 'blender', `${name}.txt`), 'utf8').split('\n');
}

/** Blender's own `Time:mm:ss.xx` stamp, used as the clock passed to `feed`. */
function blenderTimeMs(line: string): number | undefined {
  const match = /Time:(\d+):(\d+)\.(\d+)/.exec(line);
  return match ? (Number(match[1]) * 60 + Number(match[2])) * 1000 + Number(match[3]) * 10 : undefined;
}

interface Replay {
  events: BlenderOutputEvent[];
  summary: BlenderOutputSummary;
  lines: string[];
}

function replay(name: string, updateMethod = 'remainingtime'): Replay {
  const parser = createBlenderOutputParser({ updateMethod });
  const lines = fixtureLines(name);
  let now = 0;
  const events = lines.flatMap((line) => {
    now = blenderTimeMs(line) ?? now;
    return parser.feed(line, now);
  });
  events.push(...parser.end(now));
  return { events, summary: parser.summary(), lines };
}

function phases(events: BlenderOutputEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'phase' ? [event.phase] : []));
}

function percents(events: BlenderOutputEvent[]): number[] {
  return events.flatMap((event) => (event.type === 'progress' ? [event.percent] : []));
}

function errorTypes(events: BlenderOutputEvent[]): number[] {
  return events.flatMap((event) => (event.type === 'error' ? [event.errorType] : []));
}

/** Time of the first line containing `marker`, read from the fixture itself. */
function timeOfFirst(lines: string[], marker: string): number | undefined {
  const line = lines.find((candidate) => candidate.includes(marker));
  return line === undefined ? undefined : blenderTimeMs(line);
}

function expectMonotonicTo100(events: BlenderOutputEvent[]): void {
  const values = percents(events);
  expect(values.length).toBeGreaterThan(1);
  expect(values).toEqual([...values].sort((a, b) => a - b));
  expect(values.at(-1)).toBe(100);
}

/** 10.28M: Blender's peak in every capture of this scene (M = MiB, so × 1024). */
const SCENE_PEAK_KIB = Math.round(10.28 * 1024);

describe('Blender 3.4.1 fixtures through the output parser', () => {
  it('cycles: a normal render, start to finish', () => {
    const { events, summary, lines } = replay('cycles');
    expect(events[0]).toEqual({ type: 'version', version: '3.4.1', short: '3.4' });
    expect(phases(events)).toEqual(['loading', 'rendering', 'saving', 'finished']);
    expectMonotonicTo100(events);
    expect(events).toContainEqual({ type: 'saved', path: `${CAPTURE_DIR}/1_0001.png` });
    expect(summary.savedPaths).toEqual([`${CAPTURE_DIR}/1_0001.png`]);
    expect(summary.peakKiB).toBe(SCENE_PEAK_KIB);
    expect(summary.memKiB).toBe(Math.round(9.86 * 1024));
    expect(summary.remainingSeconds).toBe(0);
    expect(summary.firstError).toBeUndefined();
    expect(errorTypes(events)).toEqual([]);
    // The render time: first progress line → Cycles' `Finished` (docs/protocol.md §5.1).
    const start = timeOfFirst(lines, '| Sample 0/4');
    const end = timeOfFirst(lines, '| Finished');
    expect(summary.renderStartMs).toBe(start);
    expect(summary.renderMs).toBe((end ?? Number.NaN) - (start ?? Number.NaN));
  });

  it('cycles: blend-loaded comes with the first `Fra:` line, not with `Read blend:` (printed before the file is opened)', () => {
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    const lines = fixtureLines('cycles');
    const firstFra = lines.findIndex((line) => line.startsWith('Fra:'));
    expect(lines.findIndex((line) => line.startsWith('Read blend:'))).toBeLessThan(firstFra);
    lines.slice(0, firstFra).forEach((line) => {
      parser.feed(line);
    });
    expect(parser.summary().blendLoaded).toBe(false);
    expect(parser.feed(lines[firstFra] ?? '')).toContainEqual({ type: 'blend-loaded' });
    expect(lines.slice(firstFra + 1).flatMap((line) => parser.feed(line))).not.toContainEqual({
      type: 'blend-loaded',
    });
  });

  it('memory events report Blender M as MiB in KiB', () => {
    const { events } = replay('cycles');
    expect(events).toContainEqual({
      type: 'memory',
      memKiB: Math.round(8.81 * 1024),
      peakKiB: SCENE_PEAK_KIB,
    });
  });

  it('eevee: renders headless, `Rendering n / 4 samples` drives progress', () => {
    const { events, summary } = replay('eevee');
    expect(phases(events)).toEqual(['loading', 'rendering', 'saving', 'finished']);
    expectMonotonicTo100(events);
    expect(events).toContainEqual({ type: 'progress', percent: 25, current: 1, total: 4 });
    expect(summary.savedPaths).toEqual([`${CAPTURE_DIR}/2_0001.png`]);
    expect(summary.peakKiB).toBe(Math.round(11.67 * 1024));
    expect(errorTypes(events)).toEqual([]);
  });

  it('cycles-tiles (by_tile): tile counters, no remaining time, progress never goes back', () => {
    const { events, summary } = replay('cycles-tiles', 'by_tile');
    expectMonotonicTo100(events);
    const tiles = events.flatMap((event) => (event.type === 'progress' && event.tile ? [event.tile] : []));
    expect(tiles.map((tile) => tile.current)).toEqual([0, 1, 2, 3]);
    expect(tiles.every((tile) => tile.total === 4)).toBe(true);
    expect(events.some((event) => event.type === 'progress' && event.remainingSeconds !== undefined)).toBe(
      false,
    );
    expect(summary.savedPaths).toEqual([`${CAPTURE_DIR}/3_0001.png`]);
  });

  it('cycles-compositing: the compositor ends the render phase', () => {
    const { events, summary, lines } = replay('cycles-compositing');
    expect(phases(events)).toEqual(['loading', 'rendering', 'compositing', 'saving', 'finished']);
    expectMonotonicTo100(events);
    expect(summary.savedPaths).toEqual([`${CAPTURE_DIR}/4_0001.png`]);
    expect(summary.renderEndMs).toBe(timeOfFirst(lines, '| Finished'));
    expect(summary.renderEndMs).toBeLessThanOrEqual(timeOfFirst(lines, '| Compositing') ?? 0);
  });

  it('oidn-denoise: `Build without OpenImageDenoiser` → 29, nothing saved', () => {
    const { events, summary } = replay('oidn-denoise');
    expect(summary.firstError?.errorType).toBe(ErrorType.DENOISING_NOT_SUPPORTED);
    expect(errorTypes(events)).toEqual([29, 29]);
    expect(events).toContainEqual({
      type: 'error',
      errorType: 29,
      line: 'Error: Build without OpenImageDenoiser',
    });
    expect(summary.savedPaths).toEqual([]);
    expect(phases(events)).toEqual(['loading', 'finished']);
    expect(percents(events)).toEqual([]);
  });

  it('python-error: the traceback is error 24 even though Blender renders on', () => {
    const { events, summary } = replay('python-error');
    expect(summary.firstError).toEqual({
      errorType: ErrorType.RENDERER_CRASHED_PYTHON_ERROR,
      line: 'Error: Python: Traceback (most recent call last):',
    });
    expect(errorTypes(events)).toEqual([24]);
    const firstError = events.findIndex((event) => event.type === 'error');
    const firstProgress = events.findIndex((event) => event.type === 'progress');
    expect(firstError).toBeLessThan(firstProgress);
    expect(summary.savedPaths).toEqual([`${CAPTURE_DIR}/6_0001.png`]);
  });

  it('missing-blend: `Error: Cannot read file` → 7, the blend never loads', () => {
    const { events, summary } = replay('missing-blend');
    expect(summary.firstError?.errorType).toBe(ErrorType.MISSING_SCENE);
    expect(summary.blendLoaded).toBe(false);
    expect(phases(events)).toEqual(['finished']);
    expect(summary.version).toBe('3.4.1');
    expect(summary.peakKiB).toBeUndefined();
  });
});
