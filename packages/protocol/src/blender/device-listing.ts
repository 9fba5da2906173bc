/**
 * Cycles' own list of the devices it found, one log line per device when Cycles logging is on
 * (Blender 3.x/4.x `--debug-cycles`; the line sits behind the logger's prefix):
 * `Added device "<name>" with id "<id>".` The id's form tells the backend: `CUDA_…`, `HIP_…`,
 * `METAL_…`, `ONEAPI_…`, and a CUDA id with `_OptiX` appended for OptiX.
 */
import type { RenderDevice } from './device-lines';

const ADDED_DEVICE = /Added device "(.{1,200})" with id "(.{1,200})"\.$/;
const BACKEND_PREFIXES = ['CUDA', 'HIP', 'METAL', 'ONEAPI', 'OPENCL'] as const;

/** One device of the listing, or undefined for any other line. */
export function readAddedDevice(line: string): RenderDevice | undefined {
  const match = ADDED_DEVICE.exec(line.trimEnd());
  if (!match?.[1] || !match[2]) return undefined;
  const [, name, id] = match;
  if (id === 'CPU') return { family: 'CPU', id, name };
  if (id.endsWith('_OptiX')) return { family: 'GPU', type: 'OPTIX', id, name };
  const type = BACKEND_PREFIXES.find((prefix) => id.startsWith(`${prefix}_`));
  return type ? { family: 'GPU', type, id, name } : undefined;
}

/** Every device of a listing, in order, each id once. */
export function readDeviceListing(lines: readonly string[]): RenderDevice[] {
  const seen = new Set<string>();
  const devices: RenderDevice[] = [];
  for (const line of lines) {
    const device = readAddedDevice(line);
    if (!device?.id || seen.has(device.id)) continue;
    seen.add(device.id);
    devices.push(device);
  }
  return devices;
}
