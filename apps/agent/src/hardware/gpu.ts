import type { Systeminformation } from 'systeminformation';

export type GpuType = 'CUDA' | 'HIP';

export interface GpuInfo {
  vendor: string;
  model: string;
  /** Video memory in bytes (0 when unknown). */
  vramBytes: number;
  /** Cycles device type, when this agent knows how to select the card. */
  type?: GpuType;
  /**
   * The id passed to the server script's `sheepit_set_compute_device`, as the official client builds it:
   * `CUDA_<model>_<domain:04x>:<bus:02x>:<device:02x>` (e.g. `CUDA_NVIDIA GeForce RTX 3060_0000:01:00`).
   */
  id?: string;
  /** PCI address as reported (e.g. `00000000:01:00.0` or `01:00.0`). */
  pciBus?: string;
}

const MIB = 1024 * 1024;

/** Reads the graphics controllers systeminformation found into the agent's view of a GPU. */
export function gpusFromControllers(controllers: Systeminformation.GraphicsControllerData[]): GpuInfo[] {
  return controllers.map(toGpu).filter((gpu) => gpu.model !== '');
}

function toGpu(controller: Systeminformation.GraphicsControllerData): GpuInfo {
  const model = (controller.name || controller.model || '').trim();
  const vramMiB = controller.memoryTotal ?? controller.vram ?? 0;
  const pciBus = controller.pciBus || controller.busAddress || undefined;
  const type = gpuType(controller.vendor);
  const address = pciBus ? pciAddress(pciBus) : undefined;
  return {
    vendor: controller.vendor,
    model,
    vramBytes: Math.max(0, vramMiB) * MIB,
    ...(type && { type }),
    ...(type && address && { id: `${type}_${model}_${address}` }),
    ...(pciBus && { pciBus }),
  };
}

function gpuType(vendor: string): GpuType | undefined {
  if (/nvidia/i.test(vendor)) return 'CUDA';
  if (/\b(amd|ati)\b|advanced micro devices/i.test(vendor)) return 'HIP';
  return undefined;
}

/** `00000000:01:00.0` or `01:00.0` → `0000:01:00` (domain:bus:device, as in the official client's ids). */
export function pciAddress(pciBus: string): string | undefined {
  const match = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})(?:\.[0-7])?$/i.exec(pciBus.trim());
  if (!match) return undefined;
  const [, domain = '0', bus = '0', device = '0'] = match;
  const hex = (value: string, width: number) => Number.parseInt(value, 16).toString(16).padStart(width, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(device, 2)}`;
}
