import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorType, SET_COMPUTE_DEVICE_PYTHON } from '@flock/protocol';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RenderEvent, type RenderJob, runRender } from '../src/render/index.js';

const BLENDER = '/usr/bin/blender';
const hasBlender = existsSync(BLENDER);
if (!hasBlender) {
  console.warn(
    `\n!!! SKIPPING the real-Blender render tests: ${BLENDER} is missing (apt install blender) !!!\n`,
  );
}

/** A 64×48 Cycles scene (default cube), 4 samples, no denoising, frames 1–3. */
const MAKE_SCENE = `
import bpy, sys
scene = bpy.context.scene
scene.render.engine = 'CYCLES'
scene.cycles.samples = 4
scene.cycles.use_denoising = False
scene.render.resolution_x = 64
scene.render.resolution_y = 48
scene.render.resolution_percentage = 100
scene.render.image_settings.file_format = 'PNG'
scene.frame_start = 1
scene.frame_end = 3
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1])
`;

describe.skipIf(!hasBlender)('runRender with the real Blender', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flock-render-blender-'));
    await mkdir(join(root, 'source'));
    execFileSync(
      BLENDER,
      ['-b', '--factory-startup', '--python-expr', MAKE_SCENE, '--', join(root, 'source', 'tiny.blend')],
      {
        stdio: 'ignore',
      },
    );
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function jobIn(name: string): Promise<RenderJob> {
    const workDir = join(root, name);
    await mkdir(join(workDir, 'project'), { recursive: true });
    const blendPath = join(workDir, 'project', 'tiny.blend');
    execFileSync('cp', [join(root, 'source', 'tiny.blend'), blendPath]);
    return {
      jobId: '21',
      frame: '0002',
      commandline: '.e --factory-startup --disable-autoexec -noaudio -b .c --engine CYCLES -o .o -f .f -x 1',
      updateMethod: 'remainingtime',
      serverScript: SET_COMPUTE_DEVICE_PYTHON,
      useGpu: false,
      rendererPath: BLENDER,
      blendPath,
      workDir,
    };
  }

  it('renders a frame: valid 64×48 PNG, live progress, .blend removed after loading', async () => {
    const job = await jobIn('render');
    const events: RenderEvent[] = [];
    const result = await runRender(job, { cores: 1, onEvent: (e) => events.push(e) }).result;
    expect(result, result.log.join('\n')).toMatchObject({
      ok: true,
      outputFile: join(job.workDir, '21_0002.png'),
    });
    if (!result.ok) return;
    const png = PNG.sync.read(readFileSync(result.outputFile));
    expect([png.width, png.height]).toEqual([64, 48]);
    expect(result.blenderVersion).toMatch(/^3\.\d/);
    expect(result.log).toContain('sheepit_set_compute_device: CPU');
    // The core script's device check ran in the real Blender and told the CPU.
    expect(result.log).toContain('flock render device: {"devices": []}');
    expect(result.device).toEqual({ source: 'flock-check', devices: [{ family: 'CPU' }] });
    expect(result.memoryUsedKiB).toBeGreaterThan(10_000);
    expect(existsSync(job.blendPath)).toBe(false);
    const outputs = events.flatMap((e) => (e.type === 'output' ? [e.event] : []));
    expect(outputs.some((e) => e.type === 'progress' && e.percent === 100)).toBe(true);
    expect(outputs).toContainEqual({ type: 'phase', phase: 'rendering' });
  });

  it('kills Blender over the memory limit and reports 21', async () => {
    const job = await jobIn('memory');
    const result = await runRender(job, { memoryKiB: 8 * 1024, removeBlendWhenLoaded: false }).result;
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_OUT_OF_MEMORY });
    expect(existsSync(join(job.workDir, '21_0002.png'))).toBe(false);
  });
});
