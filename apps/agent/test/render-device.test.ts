// The device chosen is the device used, or the agent says so: GPU jobs from the real sandbox farm,
// rendered by its synthetic renderer, which prints the lines Blender prints about the device (what
// the farm script's `sheepit_set_compute_device` set, the agent's device check, Cycles' `Path tracing
// on:` report), once for the GPU chosen and once for Cycles' silent fall-back to the CPU.
import type { AgentEvent, CurrentJob } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import type { GpuInfo } from '../src/hardware/index.js';
import { cleanUp, MACHINE, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

const RTX_3060: GpuInfo = {
  vendor: 'NVIDIA Corporation',
  model: 'NVIDIA GeForce RTX 3060',
  vramBytes: 12288 * 1024 ** 2,
  type: 'OPTIX',
  id: 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00_OptiX',
  aliases: ['OPTIX_0', 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00', 'CUDA_0'],
  pciBus: '00000000:01:00.0',
  driverVersion: '535.183.01',
};

async function gpuJob(renderDevice: 'chosen' | 'cpu') {
  const farm = await testFarm();
  await syntheticProject(farm, 1, { synthetic: { renderMs: 40, renderDevice } });
  const t = await testAgent(farm, {
    clock: systemClock,
    machine: { ...MACHINE, gpus: [RTX_3060] },
    settings: { 'compute-method': 'gpu', gpu: 'OPTIX_0', 'max-frames': 1 },
  });
  const jobs: CurrentJob[] = [];
  t.agent.store.on('change', () => {
    const job = t.agent.store.state.job;
    if (job && jobs.at(-1) !== job) jobs.push(job);
  });
  const events: AgentEvent[] = [];
  t.agent.onEvent((event) => events.push(event));
  await until(() => events.some((event) => event.kind === 'frame-done'), {
    what: 'frame-done',
    lines: t.lines,
  });
  const done = events.find((event) => event.kind === 'frame-done');
  // The farm handed out a GPU job: the request named the GPU.
  expect(farm.jobRequests().some((request) => request.gpu !== null && request.jobId !== null)).toBe(true);
  return { t, jobs, frameDone: done?.kind === 'frame-done' ? done : undefined };
}

describe('the device chosen is the device used', () => {
  it("a GPU job rendered on the chosen GPU: the job shows the GPU, the frame's record names it, no warning", async () => {
    const { t, jobs, frameDone } = await gpuJob('chosen');
    expect(jobs.map((job) => job.device)).toContain('NVIDIA GeForce RTX 3060 (OPTIX)');
    expect(jobs.every((job) => job.deviceChosen === undefined)).toBe(true);
    expect(frameDone?.device).toEqual({ used: 'NVIDIA GeForce RTX 3060 (OPTIX)' });
    expect(t.lines.filter((line) => line.includes('not the chosen device'))).toEqual([]);
  });

  it('a GPU job Blender renders on the CPU: the job, the frame and a warning say so', async () => {
    const { t, jobs, frameDone } = await gpuJob('cpu');
    const rendering = jobs.filter((job) => job.deviceChosen !== undefined);
    expect(rendering.at(-1)).toMatchObject({ device: 'CPU', deviceChosen: RTX_3060.id });
    expect(frameDone?.device).toEqual({ used: 'CPU', chosen: RTX_3060.id });
    const warnings = t.lines.filter((line) => line.includes('not the chosen device'));
    // Said once, though the check line and Cycles' report both showed it.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`GPU ${RTX_3060.id} was chosen but Blender rendered on the CPU`);
    expect(warnings[0]).toMatch(/warn/i);
  });
});
