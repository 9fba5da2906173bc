import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RENDER_DEVICE_CHECK_PYTHON, setComputeDeviceCall } from '@flock/protocol';

/** The device the core script selects through the server script's `sheepit_set_compute_device`. */
export interface ComputeDevice {
  /** Cycles device type, e.g. `CUDA`, `HIP`, `OPTIX`. */
  type: string;
  /** The GPU id, e.g. `CUDA_NVIDIA GeForce RTX 3060_0000:01:00`. */
  id: string;
}

/**
 * The client's "core script" (docs/protocol.md §4.2): select the device, print the device Cycles
 * will render on (the agent compares it with the chosen one), then make Blender ignore SIGINT so a
 * Ctrl+C meant for the agent (same terminal, same foreground group) does not kill the render; the
 * agent decides what Ctrl+C means.
 */
export function coreScript(gpu: ComputeDevice | undefined): string {
  const device = setComputeDeviceCall(
    gpu ? { family: 'GPU', type: gpu.type, id: gpu.id } : { family: 'CPU' },
  );
  return [
    device,
    RENDER_DEVICE_CHECK_PYTHON,
    'import signal',
    'def _flock_ignore_sigint(signum, frame):',
    '    pass',
    'signal.signal(signal.SIGINT, _flock_ignore_sigint)',
  ].join('\n');
}

export function renderScript(serverScript: string, gpu: ComputeDevice | undefined): string {
  return `${serverScript}\n${coreScript(gpu)}\n`;
}

/**
 * Writes the script as `<workDir>/script_<digits>` (no `.py`, as the official client) and returns its
 * path. A few KiB, written synchronously: a thread-pool hop costs more than the write on a busy machine.
 */
export function writeScriptFile(workDir: string, content: string): string {
  for (;;) {
    const path = join(workDir, `script_${randomInt(1e9, 1e10)}`);
    try {
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
