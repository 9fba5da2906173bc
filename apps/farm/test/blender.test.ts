import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBlender } from '../src/renderer/index';
import { TestClient } from './helpers/client';
import { testFarm } from './helpers/farm';
import { renderJobByHand } from './helpers/render';

const blender = findBlender();
if (!blender) {
  console.warn('SKIPPED blender.test.ts: no Blender found ($BLENDER_PATH or blender on PATH). CI has it.');
}

describe.skipIf(!blender)('with the real Blender', () => {
  let farm: Awaited<ReturnType<typeof testFarm>>;
  let work: string;

  beforeAll(async () => {
    farm = await testFarm({ renderer: 'auto', demoProject: true });
    work = await mkdtemp(join(tmpdir(), 'flock-farm-blender-'));
  }, 120_000);
  afterAll(async () => {
    await farm?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('generates the demo project with Blender on the first start', () => {
    expect(farm.projects()).toEqual([
      expect.objectContaining({
        name: 'Demo: turning cube',
        renderer: 'blender',
        engine: 'CYCLES',
        resolution: [64, 48],
        frames: [1, 240],
        repeat: true,
      }),
    ]);
    expect(farm.renderers.map((renderer) => renderer.kind).sort()).toEqual(['blender', 'synthetic']);
  });

  it('takes a .blend uploaded through the admin API and reads its settings with Blender', async () => {
    const demo = await readFile(join(farm.dataDir, 'demo', 'demo.blend'));
    const form = new FormData();
    form.append('options', JSON.stringify({ frames: [2, 3], encryption: 'aes' }));
    form.append('blend', new Blob([demo]), 'my shot.blend');
    const response = await fetch(`${farm.url}/admin/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${farm.adminToken}` },
      body: form,
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      name: 'my_shot',
      renderer: 'blender',
      resolution: [64, 48],
      samples: 8,
      encryption: 'aes',
    });
    farm.cancelProject(2);
  }, 60_000);

  it('accepts a frame rendered by a hand-driven run of rend.exe with the farm command line and script', {
    timeout: 120_000,
  }, async () => {
    const client = new TestClient(farm.url);
    await client.login();
    const job = await client.job();
    expect(job.name).toBe('Demo: turning cube');
    const frame = await renderJobByHand(client, job, work);
    const image = PNG.sync.read(frame);
    expect([image.width, image.height]).toEqual([64, 48]);
    expect(await client.validate(job, frame)).toBe(0);
    expect(farm.frames(1)[0]).toMatchObject({ state: 'done' });
  });
});
