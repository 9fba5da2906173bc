// GPU types as the farm and Blender name them (CUDA, OPTIX, HIP, METAL), per platform.
// Recorded outputs, and where they come from:
//   - LSPCI: `lspci -vvv`'s block for an RTX 3060 in the layout pciutils prints (header line
//     `<bus> VGA compatible controller: <vendor> <device> (rev a1)`, tab-indented details);
//   - NVIDIA_SMI_*: `nvidia-smi --query-gpu=driver_version,pci.sub_device_id,name,pci.bus_id,…
//     --format=csv,noheader,nounits`, the query systeminformation runs, in nvidia-smi's documented
//     CSV layout (", " separated, `[N/A]` for missing values), once with a 535 driver and once with
//     the 460.32.03 driver the official client refused ("Nvidia::getGpus driver version too old",
//     sohrabhamza/sheep-it-on-colab issue 8);
//   - the macOS and Windows controllers: what systeminformation's parsers return for
//     `system_profiler -xml SPDisplaysDataType` on an M1 (vendor from `sppci_vendor_Apple`, model
//     `sppci_model`, no VRAM: unified memory) and for Win32_VideoController plus nvidia-smi.
// On Linux the real pipeline runs: systeminformation's own graphics() with these recorded outputs
// served by stand-in `lspci` and `nvidia-smi` executables on the PATH.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Systeminformation } from 'systeminformation';
import { afterAll, describe, expect, it } from 'vitest';
import { driverAtLeast, gpuIdFor, gpusFromControllers } from '../src/hardware/gpu.js';

const LSPCI = `01:00.0 VGA compatible controller: NVIDIA Corporation GA106 [GeForce RTX 3060 Lite Hash Rate] (rev a1) (prog-if 00 [VGA controller])
\tSubsystem: ASUSTeK Computer Inc. GA106 [GeForce RTX 3060 Lite Hash Rate]
\tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
\tRegion 0: Memory at fb000000 (32-bit, non-prefetchable) [size=16M]
\tRegion 1: Memory at d0000000 (64-bit, prefetchable) [size=256M]
\tKernel driver in use: nvidia
\tKernel modules: nvidia
`;
const smiLine = (driver: string) =>
  `${driver}, 0x88AC1043, NVIDIA GeForce RTX 3060, 00000000:01:00.0, 0, 12288, 1, 12037, 0, 0, 34, [N/A], 13.39, 170.00, 210, 405\n`;

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

// systeminformation fixes the environment of its nvidia-smi call when it loads: the stand-ins go on
// the PATH first, then it is loaded.
const savedPath = process.env.PATH;
const bin = mkdtempSync(path.join(tmpdir(), 'flock-gpu-bin-'));
writeFileSync(path.join(bin, 'lspci.txt'), LSPCI);
for (const [name, file] of [
  ['lspci', 'lspci.txt'],
  ['nvidia-smi', 'smi.txt'],
] as const) {
  writeFileSync(path.join(bin, name), `#!/bin/sh\ncat "${path.join(bin, file)}"\n`);
  chmodSync(path.join(bin, name), 0o755);
}
process.env.PATH = `${bin}:${savedPath}`;
const si = await import('systeminformation');
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
});

/** systeminformation's graphics() on this Linux machine, with lspci and nvidia-smi answering `driver`. */
async function linuxControllers(driver: string) {
  writeFileSync(path.join(bin, 'smi.txt'), smiLine(driver));
  return (await si.graphics()).controllers;
}

function controller(fields: Partial<Systeminformation.GraphicsControllerData>) {
  return { vendor: '', model: '', bus: '', vram: null, vramDynamic: false, ...fields };
}

describe('GPU types per platform', () => {
  it("Linux, NVIDIA with a driver that runs OptiX: OPTIX, Blender's OptiX id, the CUDA names as aliases", async () => {
    const gpus = gpusFromControllers(await linuxControllers('535.183.01'), {
      platform: 'linux',
      totalRamBytes: 0,
    });
    expect(gpus).toEqual([
      {
        vendor: 'NVIDIA Corporation',
        model: 'NVIDIA GeForce RTX 3060',
        vramBytes: 12288 * MIB,
        type: 'OPTIX',
        id: 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00_OptiX',
        aliases: ['OPTIX_0', 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00', 'CUDA_0'],
        pciBus: '00000000:01:00.0',
        driverVersion: '535.183.01',
      },
    ]);
  });

  it("Linux, NVIDIA with a driver too old for OptiX: CUDA with the official client's id", async () => {
    const [gpu] = gpusFromControllers(await linuxControllers('460.32.03'), {
      platform: 'linux',
      totalRamBytes: 0,
    });
    expect(gpu).toMatchObject({
      type: 'CUDA',
      id: 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00',
      aliases: ['CUDA_0'],
    });
  });

  it("macOS on Apple silicon: METAL, sharing the machine RAM; a GPU that is not Apple's is not offered", () => {
    const gpus = gpusFromControllers(
      [
        controller({ vendor: 'Apple', model: 'Apple M1', bus: 'Built-In', vramDynamic: true, cores: 8 }),
        controller({ vendor: 'AMD', model: 'Radeon Pro 5500M', bus: 'PCIe', vram: 8192 }),
      ],
      { platform: 'darwin', totalRamBytes: 16 * GIB },
    );
    expect(gpus).toEqual([
      { vendor: 'Apple', model: 'Apple M1', vramBytes: 16 * GIB, type: 'METAL', id: 'METAL_0' },
      { vendor: 'AMD', model: 'Radeon Pro 5500M', vramBytes: 8192 * MIB },
    ]);
  });

  it('Windows: NVIDIA OPTIX and AMD HIP with PCI ids, other GPUs not offered', () => {
    const gpus = gpusFromControllers(
      [
        controller({
          vendor: 'NVIDIA',
          model: 'NVIDIA GeForce RTX 4070',
          name: 'NVIDIA GeForce RTX 4070',
          pciBus: '00000000:2B:00.0',
          driverVersion: '552.44',
          memoryTotal: 12282,
        }),
        controller({
          vendor: 'Advanced Micro Devices, Inc.',
          model: 'AMD Radeon RX 7900 XTX',
          busAddress: '0c:00.0',
          vram: 24560,
        }),
        controller({ vendor: 'Intel Corporation', model: 'Intel(R) UHD Graphics 770', vram: 1024 }),
      ],
      { platform: 'win32', totalRamBytes: 32 * GIB },
    );
    expect(gpus.map(({ type, id, aliases }) => ({ type, id, aliases }))).toEqual([
      {
        type: 'OPTIX',
        id: 'CUDA_NVIDIA GeForce RTX 4070_0000:2b:00_OptiX',
        aliases: ['OPTIX_0', 'CUDA_NVIDIA GeForce RTX 4070_0000:2b:00', 'CUDA_0'],
      },
      { type: 'HIP', id: 'HIP_AMD Radeon RX 7900 XTX_0000:0c:00', aliases: ['HIP_0'] },
      { type: undefined, id: undefined, aliases: undefined },
    ]);
    // A --gpu written for the CUDA id (an earlier Flock) or the official client's OPTIX_0 picks the card.
    for (const name of ['CUDA_NVIDIA GeForce RTX 4070_0000:2b:00', 'OPTIX_0', 'CUDA_0', gpus[0]?.id ?? '']) {
      expect(gpuIdFor(name, gpus)).toBe('CUDA_NVIDIA GeForce RTX 4070_0000:2b:00_OptiX');
    }
    expect(gpuIdFor('HIP_0', gpus)).toBe('HIP_AMD Radeon RX 7900 XTX_0000:0c:00');
    expect(gpuIdFor('CUDA_7', gpus)).toBeUndefined();
  });

  it.each([
    ['495.89', true],
    ['495.46', false],
    ['535.183.01', true],
    ['460.32.03', false],
    ['1000', true],
    ['garbage', false],
  ])('driver %s runs OptiX: %s', (version, expected) => {
    expect(driverAtLeast(version, '495.89')).toBe(expected);
  });
});
