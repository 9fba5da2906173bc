// The machine's GPUs as the farm and Blender name them. `gpu_type` is the Cycles backend:
//   - NVIDIA: OPTIX when the driver runs Blender's OptiX backend (≥ 495.89, the Blender manual's
//     minimum), else CUDA. The official client names NVIDIA cards OPTIX since 2023 and refuses older
//     drivers ("driver version too old"); Flock keeps such a card on CUDA, which Blender still runs.
//     The driver version comes from nvidia-smi (systeminformation asks it on Linux and Windows); a
//     card without one stays CUDA.
//   - AMD: HIP. Apple silicon (macOS): METAL, Blender's only GPU backend there; other GPUs in a Mac
//     are not offered.
// The id given to `sheepit_set_compute_device` is Blender's own Cycles device id, which the server
// script matches: CUDA `CUDA_<model>_<domain:04x>:<bus:02x>:<device:02x>` (the official client's
// format too), OptiX the same with `_OptiX` appended (Cycles adds it to the CUDA id), HIP
// `HIP_<model>_<pci>`. A Metal device's id is its Metal name, which differs between Blender versions,
// so Apple silicon (one GPU) uses the position form `METAL_0` the farm script also accepts. An AMD
// card on Linux is named by lspci after its chip (`Navi 31 [Radeon RX 7900 XT/7900 XTX]`), not by the
// product name HIP gives Cycles (`AMD Radeon RX 7900 XTX`), so its id would name no device: it uses
// the position form `HIP_<n>` too (Cycles counts HIP devices in PCI order, as lspci lists them).
import type { GpuType } from '@flock/protocol';
import type { Systeminformation } from 'systeminformation';

export type { GpuType };

export interface GpuInfo {
  vendor: string;
  model: string;
  /** Video memory in bytes (0 when unknown); Apple silicon: the RAM it shares with the CPU. */
  vramBytes: number;
  /** Cycles device type, when this agent knows how to select the card. */
  type?: GpuType;
  /** The id passed to the server script's `sheepit_set_compute_device` (see above). */
  id?: string;
  /**
   * Other names a user may have configured for this card (`--gpu`): the official client's position
   * form `<TYPE>_<n>`, and for an OptiX card its CUDA id and `CUDA_<n>`.
   */
  aliases?: string[];
  /** PCI address as reported (e.g. `00000000:01:00.0` or `01:00.0`). */
  pciBus?: string;
  /** NVIDIA driver version as nvidia-smi reports it (e.g. `535.183.01`). */
  driverVersion?: string;
}

export interface GpuContext {
  platform: NodeJS.Platform;
  /** The machine's RAM, what an Apple silicon GPU shares. */
  totalRamBytes: number;
}

const MIB = 1024 * 1024;
/** Blender's OptiX backend needs an NVIDIA driver at least this new (Blender manual, GPU rendering). */
export const OPTIX_MIN_DRIVER = '495.89';

/** Reads the graphics controllers systeminformation found into the agent's view of a GPU. */
export function gpusFromControllers(
  controllers: Systeminformation.GraphicsControllerData[],
  context: GpuContext,
): GpuInfo[] {
  const gpus = controllers.map((controller) => toGpu(controller, context)).filter((gpu) => gpu.model !== '');
  return withAliases(gpus);
}

function toGpu(controller: Systeminformation.GraphicsControllerData, context: GpuContext): GpuInfo {
  const model = (controller.name || controller.model || '').trim();
  const pciBus = controller.pciBus || controller.busAddress || undefined;
  const driverVersion = controller.driverVersion?.trim() || undefined;
  const type = gpuType(controller.vendor, context.platform, driverVersion);
  const vramMiB = controller.memoryTotal ?? controller.vram ?? 0;
  const sharesRam = type === 'METAL' && !(vramMiB > 0);
  const id = type && deviceId(type, model, pciBus, context.platform);
  return {
    vendor: controller.vendor,
    model,
    vramBytes: sharesRam ? context.totalRamBytes : Math.max(0, vramMiB) * MIB,
    ...(type && { type }),
    ...(id && { id }),
    ...(pciBus && { pciBus }),
    ...(driverVersion && { driverVersion }),
  };
}

function gpuType(
  vendor: string,
  platform: NodeJS.Platform,
  driverVersion: string | undefined,
): GpuType | undefined {
  if (platform === 'darwin') return /^apple\b/i.test(vendor) ? 'METAL' : undefined;
  if (/nvidia/i.test(vendor))
    return driverVersion && driverAtLeast(driverVersion, OPTIX_MIN_DRIVER) ? 'OPTIX' : 'CUDA';
  if (/\b(amd|ati)\b|advanced micro devices/i.test(vendor)) return 'HIP';
  return undefined;
}

/** `<TYPE>_position`: filled in with the card's position among its type (withAliases). */
const BY_POSITION = '#';

function deviceId(
  type: GpuType,
  model: string,
  pciBus: string | undefined,
  platform: NodeJS.Platform,
): string | undefined {
  if (type === 'METAL') return 'METAL_0';
  if (type === 'HIP' && platform === 'linux') return BY_POSITION;
  const address = pciBus ? pciAddress(pciBus) : undefined;
  if (!address) return undefined;
  if (type === 'OPTIX') return `CUDA_${model}_${address}_OptiX`;
  return `${type}_${model}_${address}`;
}

/** The position forms (`<TYPE>_<n>`, counted per type) and, for OptiX cards, their CUDA names. */
function withAliases(gpus: GpuInfo[]): GpuInfo[] {
  const counts = new Map<GpuType, number>();
  return gpus.map((gpu) => {
    if (!gpu.type || !gpu.id) return gpu;
    const n = counts.get(gpu.type) ?? 0;
    counts.set(gpu.type, n + 1);
    if (gpu.id === BY_POSITION) return { ...gpu, id: `${gpu.type}_${n}` };
    const aliases = [`${gpu.type}_${n}`];
    // One driver serves every NVIDIA card of a machine: all are OptiX or all CUDA, so n is the same.
    if (gpu.type === 'OPTIX') aliases.push(gpu.id.replace(/_OptiX$/, ''), `CUDA_${n}`);
    const others = aliases.filter((alias) => alias !== gpu.id);
    return others.length > 0 ? { ...gpu, aliases: others } : gpu;
  });
}

/** Dotted numeric versions compared part by part: `535.183.01` ≥ `495.89`. */
export function driverAtLeast(version: string, minimum: string): boolean {
  const parts = (text: string) => text.split('.').map((part) => Number.parseInt(part, 10));
  const have = parts(version);
  const need = parts(minimum);
  if (have.some(Number.isNaN)) return false;
  for (let i = 0; i < need.length; i += 1) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * The id of the GPU a configured name means: its id, or one of its aliases (a `--gpu` written for
 * an earlier Flock or for the official client). Undefined when no GPU of this machine has it.
 */
export function gpuIdFor(name: string, gpus: readonly GpuInfo[]): string | undefined {
  return gpus.find((gpu) => gpu.id === name || gpu.aliases?.includes(name))?.id;
}

/** `00000000:01:00.0` or `01:00.0` → `0000:01:00` (domain:bus:device, as in the official client's ids). */
export function pciAddress(pciBus: string): string | undefined {
  const match = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})(?:\.[0-7])?$/i.exec(pciBus.trim());
  if (!match) return undefined;
  const [, domain = '0', bus = '0', device = '0'] = match;
  const hex = (value: string, width: number) => Number.parseInt(value, 16).toString(16).padStart(width, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(device, 2)}`;
}
