// The whole chain with the real Debian Blender: the farm's demo .blend (64×48, few samples), three
// frames rendered by the agent, uploaded, checked by the farm and credited.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { cleanUp, testAgent, testFarm, until } from './e2e-helpers.js';

const BLENDER = '/usr/bin/blender';
const hasBlender = existsSync(BLENDER);
if (!hasBlender) console.warn(`SKIPPED: the real-Blender agent test needs ${BLENDER} (CI has it)`);

afterEach(cleanUp);

describe.skipIf(!hasBlender)('with the real Blender', () => {
  it('renders, uploads and gets credited for 3 frames; the PNGs are valid', {
    timeout: 240_000,
  }, async () => {
    const farm = await testFarm({ renderer: 'blender', blender: BLENDER, demoProject: true });
    const [project] = farm.projects();
    expect(project?.renderer).toBe('blender');
    const t = await testAgent(farm, { clock: new ManualClock(Date.now()), settings: { 'max-frames': 3 } });
    await until(() => t.agent.store.local.worker === 'stopped', {
      timeoutMs: 220_000,
      what: '3 frames',
      lines: t.lines,
    });
    expect(await t.run).toBe(0);
    const done = farm.frames(project?.id ?? -1).filter((frame) => frame.state === 'done');
    expect(done).toHaveLength(3);
    expect(farm.credits('demo')).toBe(30);
    expect(farm.errorReports().map((report) => report.type)).toEqual([0]);
    for (const frame of done) {
      const file = frame.imageFile ?? '';
      const png = PNG.sync.read(await readFile(path.isAbsolute(file) ? file : path.join(farm.dataDir, file)));
      expect([png.width, png.height]).toEqual(project?.resolution);
    }
  });
});
