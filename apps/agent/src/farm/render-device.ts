// The device chosen for a job, and what Blender's output says about the device it renders on: the
// job's state shows the device used, and one other than the chosen one is said out loud ("GPU
// selected but CPU renders") instead of passing unnoticed.
import {
  type ChosenDevice,
  chosenDeviceLabel,
  type FrameDevice,
  type Job,
  type Limits,
  type RenderDeviceReport,
  renderDeviceLabel,
  renderDeviceMismatch,
} from '@flock/protocol';
import type { GpuInfo } from '../hardware/index.js';
import type { ComputeDevice } from '../render/index.js';

/** What the agent knows about a job's device once Blender said which renders. */
export interface RenderDeviceCheck extends FrameDevice {
  /** A sentence when Blender renders on another device than the chosen one. */
  mismatch?: string;
}

/** The GPU the core script selects: the configured one (any GPU when none is configured), if this machine has it. */
export function selectedGpu(
  method: Limits['computeMethod'],
  gpuId: string | null,
  gpus: readonly GpuInfo[],
): ComputeDevice | undefined {
  if (method === 'cpu') return undefined;
  const gpu = gpus.find(
    (candidate) => candidate.id && candidate.type && (gpuId === null || candidate.id === gpuId),
  );
  return gpu?.id && gpu.type ? { type: gpu.type, id: gpu.id } : undefined;
}

/**
 * The device chosen for the job: a GPU when the farm gave a GPU job and the limits allow GPUs, even
 * if this machine cannot select it (the script then selects the CPU, which the check reveals).
 */
export function chosenDevice(job: Job, limits: Limits, gpu: ComputeDevice | undefined): ChosenDevice {
  if (!job.useGpu || limits.computeMethod === 'cpu') return { family: 'CPU' };
  if (gpu) return { family: 'GPU', id: gpu.id, type: gpu.type };
  return { family: 'GPU', id: limits.gpu ?? 'GPU' };
}

export function renderDeviceCheck(chosen: ChosenDevice, report: RenderDeviceReport): RenderDeviceCheck {
  const mismatch = renderDeviceMismatch(chosen, report);
  const used = renderDeviceLabel(report.devices);
  return mismatch ? { used, chosen: chosenDeviceLabel(chosen), mismatch } : { used };
}
