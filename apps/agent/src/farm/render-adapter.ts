// The render port on top of the Blender runner (src/render): maps a job and the user's limits onto
// a RenderJob and RenderOptions, forwards progress, and turns the loop's abort reasons into kills.
import path from 'node:path';
import { ErrorType } from '@flock/protocol';
import type { Clock } from '../clock.js';
import { pathInside, UnsafePathError } from '../confined-path.js';
import type { GpuInfo } from '../hardware/index.js';
import { type ComputeDevice, type RenderEvent, type RenderKillRequest, runRender } from '../render/index.js';
import type { JobInterrupt } from './job-runner.js';
import type { RenderPort, RenderRequest, RenderResult } from './ports.js';

export interface BlenderRenderPortOptions {
  clock?: Clock;
  /** This machine's GPUs, to find the selected one's Cycles device. */
  gpus?: readonly GpuInfo[];
  /** Every event of every Blender run (the agent's live usage reads the render's RSS from them). */
  onRenderEvent?: (event: RenderEvent) => void;
}

const KILLS: Record<JobInterrupt, RenderKillRequest> = {
  'pause-now': 'user',
  'stop-now': 'user',
  'block-project': 'block',
  server: 'server',
};

export function createBlenderRenderPort(options: BlenderRenderPortOptions = {}): RenderPort {
  return async (request) => {
    const blendPath = blendPathIn(request.projectDir, request.job.path);
    if (!blendPath) {
      return {
        ok: false,
        errorType: ErrorType.MISSING_SCENE,
        message: `the job's .blend path escapes the project: ${request.job.path}`,
      };
    }
    const handle = runRender(
      {
        jobId: request.job.id,
        frame: request.job.frame,
        commandline: request.job.renderer.commandline,
        updateMethod: request.job.renderer.updateMethod,
        serverScript: request.job.script,
        useGpu: request.job.useGpu,
        rendererPath: path.join(request.rendererDir, 'rend.exe'),
        blendPath,
        workDir: request.workDir,
      },
      renderOptions(request, options),
    );
    const kill = () =>
      handle.kill(KILLS[request.signal.reason as JobInterrupt] ?? 'other', String(request.signal.reason));
    if (request.signal.aborted) kill();
    request.signal.addEventListener('abort', kill, { once: true });
    try {
      return toPortResult(await handle.result);
    } finally {
      request.signal.removeEventListener('abort', kill);
    }
  };
}

function renderOptions(request: RenderRequest, options: BlenderRenderPortOptions) {
  const { limits } = request;
  const gpu = selectedDevice(limits.computeMethod, limits.gpu, options.gpus ?? []);
  return {
    priority: limits.priority,
    ...(limits.cores === null ? {} : { cores: limits.cores }),
    ...(limits.memoryBytes === null ? {} : { memoryLimitKiB: Math.floor(limits.memoryBytes / 1024) }),
    ...(limits.maxFrameTimeSeconds === null ? {} : { maxRenderTimeSeconds: limits.maxFrameTimeSeconds }),
    ...(gpu ? { gpu } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    onEvent: (event: RenderEvent) => {
      options.onRenderEvent?.(event);
      if (event.type === 'started') request.onProgress({ phase: 'render', progress: null, etaSeconds: null });
      else if (event.type === 'line') request.onOutput(event.line);
      else if (event.type === 'output') {
        const output = event.event;
        if (output.type === 'progress') {
          request.onProgress({
            phase: 'render',
            progress: output.percent / 100,
            etaSeconds: output.remainingSeconds ?? null,
          });
        } else if (output.type === 'phase' && output.phase === 'rendering') {
          request.onProgress({ phase: 'render', progress: null, etaSeconds: null });
        }
      }
    },
  };
}

function selectedDevice(
  method: string,
  gpuId: string | null,
  gpus: readonly GpuInfo[],
): ComputeDevice | undefined {
  if (method === 'cpu') return undefined;
  const gpu = gpus.find(
    (candidate) => candidate.id && candidate.type && (gpuId === null || candidate.id === gpuId),
  );
  return gpu?.id && gpu.type ? { type: gpu.type, id: gpu.id } : undefined;
}

function toPortResult(result: Awaited<ReturnType<typeof runRender>['result']>): RenderResult {
  const facts = {
    renderTimeSeconds: result.renderTimeSeconds,
    memoryUsedKiB: result.peakMemoryKiB,
    ...(result.blenderVersion ? { blenderVersion: result.blenderVersion } : {}),
  };
  return result.ok
    ? { ok: true, outputFile: result.outputFile, ...facts }
    : { ok: false, errorType: result.errorType, message: result.reason, ...facts };
}

/** The .blend named by the farm, only if it stays inside the extracted project. */
function blendPathIn(dir: string, relative: string): string | undefined {
  try {
    return pathInside(dir, relative);
  } catch (error) {
    if (error instanceof UnsafePathError) return undefined;
    throw error;
  }
}
