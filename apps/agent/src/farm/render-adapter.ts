// The render port on top of the Blender runner (src/render): maps a job and the user's limits onto
// a RenderJob and RenderOptions, forwards progress, and stops Blender when the job is stopped.
import path from 'node:path';
import { ErrorType } from '@flock/protocol';
import type { Clock } from '../clock.js';
import { pathInside, UnsafePathError } from '../confined-path.js';
import type { GpuInfo } from '../hardware/index.js';
import { type RenderEvent, runRender } from '../render/index.js';
import type { RenderPort, RenderRequest } from './ports.js';
import { chosenDevice, renderDeviceCheck, selectedGpu } from './render-device.js';
import { stopReasonOf } from './stop-signal.js';

export interface BlenderRenderPortOptions {
  clock?: Clock;
  /** This machine's GPUs, to find the selected one's Cycles device. */
  gpus?: readonly GpuInfo[];
  /** Every event of every Blender run (the agent's live usage reads the render's RSS from them). */
  onRenderEvent?: (event: RenderEvent) => void;
}

export function createBlenderRenderPort(options: BlenderRenderPortOptions = {}): RenderPort {
  return async (request) => {
    const blendPath = blendPathIn(request.projectDir, request.job.path);
    if (!blendPath) {
      const message = `the job's .blend path escapes the project: ${request.job.path}`;
      return {
        ok: false,
        errorType: ErrorType.MISSING_SCENE,
        message,
        exitCode: null,
        signal: null,
        renderTimeSeconds: 0,
        memoryUsedKiB: 0,
        log: [`flock: ${message}`],
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
    const stop = () => {
      const reason = stopReasonOf(request.signal);
      handle.stop(reason, `job stopped (${reason})`);
    };
    if (request.signal.aborted) stop();
    request.signal.addEventListener('abort', stop, { once: true });
    try {
      return await handle.result;
    } finally {
      request.signal.removeEventListener('abort', stop);
    }
  };
}

function renderOptions(request: RenderRequest, options: BlenderRenderPortOptions) {
  const { limits } = request;
  const gpu = selectedGpu(limits.computeMethod, limits.gpu, options.gpus ?? []);
  const chosen = chosenDevice(request.job, limits, gpu);
  return {
    priority: limits.priority,
    ...(limits.cores === null ? {} : { cores: limits.cores }),
    ...(limits.memoryBytes === null ? {} : { memoryKiB: Math.floor(limits.memoryBytes / 1024) }),
    ...(limits.maxFrameTimeSeconds === null ? {} : { maxFrameTimeSeconds: limits.maxFrameTimeSeconds }),
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
        } else if (output.type === 'device') {
          request.onDevice?.(renderDeviceCheck(chosen, output.report));
        }
      }
    },
  };
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
