// The console's "Last frame" needs a thumbnail in `frame-done`; the frame file is deleted before the
// delivery is announced, so the agent takes it when the render ends.
import type { AgentEvent } from '@flock/protocol';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { FrameThumbnails } from '../src/state/index.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

const thumbnail = { mime: 'image/png' as const, base64: 'AAAA' };

function frameDone(jobId: string): AgentEvent {
  return {
    kind: 'frame-done',
    jobId,
    project: 'shot',
    frame: 1,
    renderTimeMs: 1000,
    credits: null,
    thumbnail: null,
  };
}

describe('frame thumbnails', () => {
  it("fills a frame-done event in with its job's thumbnail, once", () => {
    const thumbnails = new FrameThumbnails();
    thumbnails.remember('100', thumbnail);
    expect(thumbnails.complete(frameDone('101'))).toEqual(frameDone('101'));
    expect(thumbnails.complete(frameDone('100'))).toEqual({ ...frameDone('100'), thumbnail });
    expect(thumbnails.complete(frameDone('100'))).toEqual(frameDone('100'));
  });

  it('keeps only the most recent frames', () => {
    const thumbnails = new FrameThumbnails();
    for (let job = 1; job <= 20; job += 1) thumbnails.remember(String(job), thumbnail);
    const thumbnailOf = (jobId: string) => {
      const event = thumbnails.complete(frameDone(jobId));
      return event.kind === 'frame-done' ? event.thumbnail : undefined;
    };
    expect(thumbnailOf('12')).toBeNull();
    expect(thumbnailOf('13')).toEqual(thumbnail);
    expect(thumbnailOf('20')).toEqual(thumbnail);
  });

  it('reaches the console with a delivered frame (sandbox farm renderer)', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1, { resolution: [320, 240] });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const events: AgentEvent[] = [];
    t.agent.onEvent((event) => events.push(event));
    await until(() => events.some((event) => event.kind === 'frame-done'), {
      clock,
      stepMs: 2_000,
      what: 'frame-done',
      lines: t.lines,
    });
    const done = events.find((event) => event.kind === 'frame-done');
    expect(done).toMatchObject({ kind: 'frame-done', jobId: farm.jobs()[0]?.id.toString() });
    expect(farm.frames(project.id)[0]?.state).toBe('done');
    const image = done?.kind === 'frame-done' ? done.thumbnail : null;
    expect(image?.mime).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(image?.base64 ?? '', 'base64'));
    expect([png.width, png.height]).toEqual([160, 120]);
  });
});
