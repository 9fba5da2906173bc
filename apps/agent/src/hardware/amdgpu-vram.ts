// The video memory of AMD cards on Linux. systeminformation reads it from lspci's memory regions,
// which are PCI windows, not the memory: 32 GiB for a 24 GiB RX 7900 XTX with resizable BAR, 256 MiB
// without. The amdgpu driver states the real amount, in bytes, in the card's sysfs directory
// (`mem_info_vram_total`); the agent reads it there when it can.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GpuInfo } from './gpu.js';

/** `01:00.0` or `00000000:0C:00.0` → sysfs's `0000:0c:00.0`. */
export function sysfsPciName(pciBus: string): string | undefined {
  const match = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(pciBus.trim());
  if (!match) return undefined;
  const [, domain = '0', bus = '0', device = '0', fn = '0'] = match;
  const hex = (value: string, width: number) => Number.parseInt(value, 16).toString(16).padStart(width, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(device, 2)}.${fn}`;
}

async function vramBytes(sysfsRoot: string, pciBus: string): Promise<number | undefined> {
  const name = sysfsPciName(pciBus);
  if (!name) return undefined;
  try {
    const text = await readFile(
      path.join(sysfsRoot, 'bus', 'pci', 'devices', name, 'mem_info_vram_total'),
      'utf8',
    );
    const bytes = Number(text.trim());
    return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The GPUs with each AMD (HIP) card's VRAM as amdgpu states it, where sysfs has it. */
export async function withAmdgpuVram(gpus: GpuInfo[], sysfsRoot = '/sys'): Promise<GpuInfo[]> {
  return Promise.all(
    gpus.map(async (gpu) => {
      if (gpu.type !== 'HIP' || !gpu.pciBus) return gpu;
      const bytes = await vramBytes(sysfsRoot, gpu.pciBus);
      return bytes === undefined ? gpu : { ...gpu, vramBytes: bytes };
    }),
  );
}
