import { describe, expect, it } from 'vitest';
import { type BlenderOutputEvent, createBlenderOutputParser } from '../src/index';

/** The official client's example line, docs/protocol.md §5.2 (Blender 2.9x, tiled Cycles). */
const J22_LINE =
  'Fra:60 Mem:278.24M (0.00M, Peak 644.01M) | Time:05:08.95 | Remaining:00:03.88 | Mem:210.79M, Peak:210.79M | Scene, W Laser | Path Tracing Tile 16/18, Sample 36/36';

function feedAll(lines: string[], updateMethod = 'remainingtime'): BlenderOutputEvent[] {
  const parser = createBlenderOutputParser({ updateMethod });
  return lines.flatMap((line) => parser.feed(line));
}

function ofType<T extends BlenderOutputEvent['type']>(events: BlenderOutputEvent[], type: T) {
  return events.filter((event): event is Extract<BlenderOutputEvent, { type: T }> => event.type === type);
}

describe('createBlenderOutputParser: single values', () => {
  it('reads the version from the first `Blender x.y` line only', () => {
    const events = feedAll(['Blender 2.93.5 (hash a791bdabd0b2 built 2021-10-05)', 'Blender 3.4.1']);
    expect(ofType(events, 'version')).toEqual([
      { type: 'version', version: '2.93.5 (hash a791bdabd0b2 built 2021-10-05)', short: '2.93' },
    ]);
  });

  it('does not take `Blender quit` or prose for a version', () => {
    expect(ofType(feedAll(['Blender quit', 'Using Blender 3.4.1']), 'version')).toEqual([]);
  });

  it('remainingtime: percent from the first counter, remaining seconds with the fraction dropped', () => {
    const [progress] = ofType(feedAll([J22_LINE]), 'progress');
    expect(progress).toEqual({ type: 'progress', percent: 88, current: 16, total: 18, remainingSeconds: 3 });
  });

  it('reads hours in `Remaining:h:mm:ss.xx`', () => {
    const line = 'Fra:1 Mem:9M (Peak 10M) | Time:00:01.00 | Remaining:1:02:03.50 | Scene | Sample 1/100';
    expect(ofType(feedAll([line]), 'progress')[0]?.remainingSeconds).toBe(3723);
  });

  it('by_tile: tile counters, no remaining time', () => {
    const [progress] = ofType(feedAll([J22_LINE], 'by_tile'), 'progress');
    expect(progress?.tile).toEqual({ current: 16, total: 18 });
    expect(progress?.remainingSeconds).toBeUndefined();
  });

  it('memory: first `Mem:` is Blender’s, the largest Peak of the line wins, units are binary', () => {
    const [memory] = ofType(feedAll([J22_LINE]), 'memory');
    expect(memory).toEqual({
      type: 'memory',
      memKiB: Math.round(278.24 * 1024),
      peakKiB: Math.round(644.01 * 1024),
    });
    const units = ofType(
      feedAll(['Fra:2 Mem:1.5G (Peak 2,5G) | Time:00:00.10 | Mem:512K, Peak:0.25T']),
      'memory',
    );
    expect(units[0]).toEqual({ type: 'memory', memKiB: 1.5 * 1024 ** 2, peakKiB: 0.25 * 1024 ** 3 });
  });

  it('repeats neither an unchanged memory reading nor an unchanged progress', () => {
    const line = 'Fra:1 Mem:8.81M (Peak 10.28M) | Time:00:00.00 | Scene | Sample 1/4';
    const events = feedAll([line, line, line]);
    expect(ofType(events, 'memory')).toHaveLength(1);
    expect(ofType(events, 'progress')).toHaveLength(1);
  });

  it('reads the saved path, quotes and spaces included', () => {
    const events = feedAll(["Saved: '/work/my job/1_0007.png'", "Saved: '/work/1_0007.exr'"]);
    expect(ofType(events, 'saved').map((event) => event.path)).toEqual([
      '/work/my job/1_0007.png',
      '/work/1_0007.exr',
    ]);
  });

  it('counts a trailing carriage return as line end', () => {
    expect(feedAll(['Blender quit\r'])).toEqual([{ type: 'phase', phase: 'finished' }]);
  });
});

describe('createBlenderOutputParser: phases and progress', () => {
  it('matches every progress form of the official client', () => {
    const lines = [
      'Fra:1 Mem:1M (Peak 1M) | Time:00:01.00 | Scene | Rendered 3/20 Tiles',
      'Fra:1 Mem:1M (Peak 1M) | Time:00:01.00 | Scene | Path Tracing Tile 5/20',
      'Fra:1 Mem:1M (Peak 1M) | Time:00:01.00 | Rendering 8 / 20 samples',
      'Fra:1 Mem:1M (Peak 1M) | Time:00:01.00 | Scene | Sample 10/20',
    ];
    expect(ofType(feedAll(lines), 'progress').map((event) => event.percent)).toEqual([15, 25, 40, 50]);
  });

  it('never lets progress go back, and clamps counters past their total', () => {
    const lines = ['x | Sample 3/4', 'x | Sample 1/4', 'x | Sample 9/4'].map(
      (tail) => `Fra:1 Mem:1M ${tail}`,
    );
    expect(ofType(feedAll(lines), 'progress').map((event) => event.percent)).toEqual([75, 75, 100]);
  });

  it('ignores a counter with a zero total', () => {
    expect(ofType(feedAll(['Fra:1 Mem:1M | Scene | Sample 0/0']), 'progress')).toEqual([]);
  });

  it('denoising ends the render phase and completes the bar; phases never go back', () => {
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    const feed = (line: string, now: number) => parser.feed(line, now);
    feed('Read blend: /w/a.blend', 0);
    feed('Fra:1 Mem:1M (Peak 1M) | Time:00:01.00 | Scene | Sample 1/8', 1000);
    const denoise = feed('Fra:1 Mem:1M (Peak 1M) | Time:00:09.00 | Denoising', 9000);
    expect(denoise).toEqual([
      { type: 'progress', percent: 100 },
      { type: 'phase', phase: 'denoising' },
    ]);
    expect(feed('Fra:1 Mem:1M (Peak 1M) | Time:00:09.50 | Compositing', 9500)).toContainEqual({
      type: 'phase',
      phase: 'compositing',
    });
    expect(feed('Read blend: /w/a.blend', 9600)).toEqual([]);
    expect(parser.summary()).toMatchObject({
      renderStartMs: 1000,
      renderEndMs: 9000,
      renderMs: 8000,
      renderSeconds: 8,
    });
  });

  it('without post-processing the render phase lasts until the process ends', () => {
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    parser.feed('Fra:1 Mem:1M (Peak 1M) | Time:00:00.50 | Rendering 1 / 4 samples', 500);
    expect(parser.end(7500)).toEqual([{ type: 'phase', phase: 'finished' }]);
    expect(parser.summary()).toMatchObject({
      renderMs: 7000,
      renderSeconds: 7,
      percent: 25,
      phase: 'finished',
    });
  });

  it('a render that stops early is not shown as complete', () => {
    const events = feedAll([
      'Fra:1 Mem:1M | Scene | Sample 1/4',
      'Segmentation fault (core dumped)',
      'Blender quit',
    ]);
    expect(ofType(events, 'progress').map((event) => event.percent)).toEqual([25]);
    expect(ofType(events, 'error')).toEqual([
      { type: 'error', errorType: 12, line: 'Segmentation fault (core dumped)' },
    ]);
  });

  it('without a clock it still parses, only the render time stays unknown', () => {
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    parser.feed('Fra:1 Mem:1M | Scene | Sample 4/4');
    parser.feed("Saved: '/w/1_0001.png'");
    expect(parser.summary().renderMs).toBeUndefined();
    expect(parser.summary().percent).toBe(100);
  });

  it('a `Fra:` line also proves the blend was loaded (docs/decisions.md D13), once', () => {
    const events = feedAll([
      'Fra:1 Mem:8.81M (Peak 10.28M) | Time:00:00.00 | Scene | Initializing',
      'Fra:1 x',
    ]);
    expect(events.filter((event) => event.type === 'blend-loaded')).toHaveLength(1);
    expect(ofType(events, 'phase')).toEqual([{ type: 'phase', phase: 'loading' }]);
  });

  it('summary is a snapshot: changing it does not change the parser', () => {
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    parser.feed("Saved: '/w/1_0001.png'");
    parser.summary().savedPaths.push('/tampered');
    expect(parser.summary().savedPaths).toEqual(['/w/1_0001.png']);
  });
});
