// NVIDIA GPUs as nvidia-smi lists them, beside systeminformation's list. On Linux systeminformation
// finds graphics controllers only through `lspci` and merges nvidia-smi's facts into them: where
// lspci is missing (containers and minimal installs do without pciutils) it reports no GPU at all,
// even with nvidia-smi listing ten. The agent asks nvidia-smi itself and adds each card
// systeminformation missed, matched by PCI address.
import type { Systeminformation } from 'systeminformation';
import { runCommand } from '../rules/readers/run-command.js';
import { pciAddress } from './gpu.js';

/** One CSV line per GPU: `<driver>, <name>, <pci bus id>, <memory MiB>` (`[N/A]` where unknown). */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=driver_version,name,pci.bus_id,memory.total',
  '--format=csv,noheader,nounits',
] as const;

export interface NvidiaSmiGpu {
  name: string;
  pciBus: string;
  driverVersion?: string;
  memoryMiB?: number;
}

/** More GPUs than any machine holds; lines beyond are not read. */
const MAX_GPUS = 64;
const MAX_FIELD_CHARS = 200;

/** nvidia-smi's CSV answer to `NVIDIA_SMI_ARGS`; lines that are not a GPU are skipped. */
export function parseNvidiaSmiGpus(csv: string): NvidiaSmiGpu[] {
  const gpus: NvidiaSmiGpu[] = [];
  for (const line of csv.split('\n', MAX_GPUS * 2)) {
    const fields = line.split(', ').map((field) => field.trim());
    if (fields.length !== 4) continue;
    const [driver = '', name = '', pciBus = '', memory = ''] = fields;
    if (!name || name.length > MAX_FIELD_CHARS || !pciAddress(pciBus)) continue;
    const memoryMiB = Number(memory);
    gpus.push({
      name,
      pciBus,
      ...(/^\d+(\.\d+)*$/.test(driver) && { driverVersion: driver }),
      ...(memory !== '' && Number.isInteger(memoryMiB) && memoryMiB > 0 && { memoryMiB }),
    });
    if (gpus.length === MAX_GPUS) break;
  }
  return gpus;
}

/** nvidia-smi's answer, or undefined where there is no NVIDIA driver. */
export function readNvidiaSmi(): Promise<string | undefined> {
  return runCommand('nvidia-smi', NVIDIA_SMI_ARGS);
}

/** The controllers, plus every NVIDIA GPU nvidia-smi lists at a PCI address none of them has. */
export function withNvidiaSmiGpus(
  controllers: Systeminformation.GraphicsControllerData[],
  smiGpus: readonly NvidiaSmiGpu[],
): Systeminformation.GraphicsControllerData[] {
  const known = new Set(
    controllers.flatMap((controller) => {
      const address = pciAddress(controller.pciBus || controller.busAddress || '');
      return address ? [address] : [];
    }),
  );
  const missed = smiGpus.filter((gpu) => !known.has(pciAddress(gpu.pciBus) ?? ''));
  return [
    ...controllers,
    ...missed.map((gpu) => ({
      vendor: 'NVIDIA',
      model: gpu.name,
      name: gpu.name,
      bus: 'PCIe',
      pciBus: gpu.pciBus,
      vram: gpu.memoryMiB ?? null,
      vramDynamic: false,
      ...(gpu.memoryMiB !== undefined && { memoryTotal: gpu.memoryMiB }),
      ...(gpu.driverVersion && { driverVersion: gpu.driverVersion }),
    })),
  ];
}
