import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BlenderOutputEvent,
  type BlenderOutputParser,
  createBlenderOutputParser,
  ErrorType,
  setComputeDeviceCall,
} from '../src/index';
import { type FarmRender, hasBlender, makeScene, renderLikeTheAgent } from './fixtures/blender/run-blender';

const blenderFound = hasBlender();
if (!blenderFound) {
  console.warn(
    'SKIPPED blender-output.live: no Blender at /usr/bin/blender ($FLOCK_BLENDER); apt-get install blender',
  );
}

interface LiveRender {
  exitCode: number | null;
  output: string;
  argv: string[];
  events: BlenderOutputEvent[];
  parser: BlenderOutputParser;
}

describe.skipIf(!blenderFound)('real Blender with SET_COMPUTE_DEVICE_PYTHON and buildBlenderArgv', () => {
  let workDir = '';
  let blendPath = '';

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'flock-blender-live-'));
    blendPath = join(workDir, 'project', 'scene.blend');
    await makeScene(blendPath);
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function render(options: Omit<FarmRender, 'workDir' | 'blendPath' | 'frame'>): Promise<LiveRender> {
    const result = await renderLikeTheAgent({ ...options, workDir, blendPath, frame: '0001' });
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    const events = result.output.split('\n').flatMap((line, index) => parser.feed(line, index));
    return { ...result, events, parser };
  }

  it('sheepit_set_compute_device("NONE", "CPU", "CPU") renders the frame on the CPU, with -t 1', async () => {
    const live = await render({ jobId: '11', cores: 1 });
    expect(live.argv.slice(1, 3)).toEqual(['-t', '1']);
    expect(live.exitCode).toBe(0);
    expect(live.output).toContain('sheepit_set_compute_device: CPU');
    const summary = live.parser.summary();
    expect(summary.firstError).toBeUndefined();
    expect(summary.blendLoaded).toBe(true);
    expect(summary.percent).toBe(100);
    const phases = live.events.flatMap((event) => (event.type === 'phase' ? [event.phase] : []));
    expect(phases).toEqual(['loading', 'rendering', 'saving', 'finished']);
    expect(summary.savedPaths).toEqual([join(workDir, '11_0001.png')]);
    expect(existsSync(join(workDir, '11_0001.png'))).toBe(true);
  });

  it('a GPU that is not there fails the job with error 24 instead of rendering on the CPU', async () => {
    const device = { family: 'GPU', type: 'CUDA', id: 'CUDA_0' } as const;
    const live = await render({ jobId: '12', device });
    expect(setComputeDeviceCall(device)).toBe('sheepit_set_compute_device("CUDA", "GPU", "CUDA_0")');
    expect(live.output).toContain("RuntimeError: sheepit_set_compute_device: no CUDA device 'CUDA_0'");
    expect(live.parser.summary().firstError?.errorType).toBe(ErrorType.RENDERER_CRASHED_PYTHON_ERROR);
  });
});
