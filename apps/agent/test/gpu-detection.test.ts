// GPU detection against recorded tool outputs (test/fixtures/gpu/README.md): a 10-GPU Linux rig
// with an Intel iGPU, the same rig without lspci, an AMD card on Linux, an Intel-only laptop, and what
// systeminformation returns on macOS (Apple M2 Pro) and on a Windows laptop (Intel iGPU + NVIDIA).
// On Linux the real pipeline runs: systeminformation's graphics() and the agent's own nvidia-smi
// call, answered by stand-in `lspci` and `nvidia-smi` executables on the PATH. The ids the agent gives
// the server script are checked against Cycles' own device listing of the same rig.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDeviceListing } from '@flock/protocol';
import fc from 'fast-check';
import type { Systeminformation } from 'systeminformation';
import { afterAll, describe, expect, it } from 'vitest';
import type { MachineOptions, SystemInfoSource } from '../src/hardware/index.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'gpu');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

// systeminformation fixes the environment of its tool calls when it loads: stand-ins first, then it
// (and the agent's hardware module, which loads it).
const savedPath = process.env.PATH;
const bin = mkdtempSync(path.join(tmpdir(), 'flock-gpu-detect-'));
/** What a stand-in prints; null: it is missing (the shell's exit code 127, no output). */
function answer(name: string, text: string | null): void {
  writeFileSync(path.join(bin, `${name}.out`), text ?? '');
  writeFileSync(path.join(bin, `${name}.code`), text === null ? '127' : '0');
}
// nvidia-smi answers systeminformation's 16-column query and the agent's 4-column one differently.
writeFileSync(
  path.join(bin, 'lspci'),
  `#!/bin/sh\ncat "${bin}/lspci.out"\nexit "$(cat "${bin}/lspci.code")"\n`,
);
writeFileSync(
  path.join(bin, 'nvidia-smi'),
  `#!/bin/sh\ncase "$1" in *fan.speed*) cat "${bin}/smi-si.out";; *) cat "${bin}/smi-flock.out";; esac\nexit "$(cat "${bin}/smi-si.code")"\n`,
);
chmodSync(path.join(bin, 'lspci'), 0o755);
chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
process.env.PATH = `${bin}:${savedPath}`;
// Imported here, not above: the agent's hardware module loads systeminformation too.
const si = await import('systeminformation');
const { collectMachineFacts, parseNvidiaSmiGpus, withNvidiaSmiGpus } = await import(
  '../src/hardware/index.js'
);
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
});

function linuxBox(tools: { lspci: string | null; smiSi: string | null; smiFlock: string | null }) {
  answer('lspci', tools.lspci);
  answer('smi-si', tools.smiSi);
  writeFileSync(path.join(bin, 'smi-flock.out'), tools.smiFlock ?? '');
}

function source(graphics: SystemInfoSource['graphics']): SystemInfoSource {
  return {
    cpu: async () =>
      ({
        manufacturer: 'Intel',
        brand: 'Core i5-10400',
        family: '6',
        model: '165',
        cores: 6,
      }) as Systeminformation.CpuData,
    mem: async () => ({ total: 32 * GIB }),
    osInfo: async () => ({ distro: 'Ubuntu', release: '22.04', hostname: 'rig' }) as Systeminformation.OsData,
    graphics,
    uuid: async () => ({ os: 'id', hardware: '', macs: [] }),
    system: async () => ({ uuid: '', serial: '' }),
  };
}

/** Facts of a Linux machine through systeminformation and the agent's nvidia-smi call (the stand-ins). */
function linuxFacts(options: Partial<MachineOptions> = {}) {
  return collectMachineFacts({
    source: source(() => si.graphics()),
    platform: 'linux',
    arch: 'x64',
    cpuinfoPath: '/nonexistent',
    sysfsRoot: '/nonexistent',
    ...options,
  });
}

function controller(fields: Partial<Systeminformation.GraphicsControllerData>) {
  return { vendor: '', model: '', bus: '', vram: null, vramDynamic: false, ...fields };
}

const RIG = {
  lspci: fixture('lspci-10x-rtx3090.txt'),
  smiSi: fixture('nvidia-smi-10x-rtx3090.csv'),
  smiFlock: fixture('nvidia-smi-10x-rtx3090-flock.csv'),
};
const BUSES = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '0a'];

describe('GPU detection from recorded outputs', () => {
  it("a 10 × RTX 3090 rig with an Intel iGPU: ten OptiX cards with Cycles' ids and 24 GiB each", async () => {
    linuxBox(RIG);
    const facts = await linuxFacts();
    const offered = facts.gpus.filter((gpu) => gpu.type);
    expect(offered).toHaveLength(10);
    expect(offered.map((gpu) => gpu.id)).toEqual(
      BUSES.map((bus) => `CUDA_NVIDIA GeForce RTX 3090_0000:${bus}:00_OptiX`),
    );
    expect(offered.every((gpu) => gpu.type === 'OPTIX' && gpu.vramBytes === 24 * GIB)).toBe(true);
    expect(offered.map((gpu) => gpu.aliases?.[0])).toEqual(BUSES.map((_, n) => `OPTIX_${n}`));
    // The iGPU is listed, not offered.
    expect(facts.gpus.filter((gpu) => !gpu.type).map((gpu) => gpu.vendor)).toEqual(['Intel Corporation']);
    // Each id is Cycles' OptiX id of a CUDA device of Blender's own listing of this rig.
    const cyclesIds = readDeviceListing(fixture('blender-devices-10x-rtx3090.txt').split('\n')).map(
      (d) => d.id,
    );
    expect(offered.map((gpu) => gpu.id?.replace(/_OptiX$/, ''))).toEqual(cyclesIds);
  });

  it('the same rig without lspci: systeminformation finds no GPU, the agent still finds all ten', async () => {
    linuxBox({ ...RIG, lspci: null });
    expect((await si.graphics()).controllers).toEqual([]);
    const facts = await linuxFacts();
    expect(facts.gpus.map((gpu) => [gpu.type, gpu.id, gpu.vramBytes, gpu.driverVersion])).toEqual(
      BUSES.map((bus) => [
        'OPTIX',
        `CUDA_NVIDIA GeForce RTX 3090_0000:${bus}:00_OptiX`,
        24 * GIB,
        '535.183.01',
      ]),
    );
  });

  it("an AMD card on Linux: HIP in the position form, VRAM from amdgpu, not lspci's 32 GiB window", async () => {
    linuxBox({ lspci: fixture('lspci-amd-rx7900xtx.txt'), smiSi: null, smiFlock: null });
    const sysfs = mkdtempSync(path.join(tmpdir(), 'flock-sysfs-'));
    try {
      const card = path.join(sysfs, 'bus', 'pci', 'devices', '0000:0c:00.0');
      mkdirSync(card, { recursive: true });
      writeFileSync(path.join(card, 'mem_info_vram_total'), '25753026560\n');
      const [gpu] = (await linuxFacts({ sysfsRoot: sysfs })).gpus;
      expect(gpu).toMatchObject({ type: 'HIP', id: 'HIP_0', vramBytes: 25_753_026_560 });
      // Without sysfs the lspci figure stays (the PCI window): better than none for the farm.
      const [unread] = (await linuxFacts()).gpus;
      expect(unread?.vramBytes).toBe(32 * GIB);
    } finally {
      rmSync(sysfs, { recursive: true, force: true });
    }
  });

  it('an Intel-only laptop on Linux: no GPU offered', async () => {
    linuxBox({ lspci: fixture('lspci-10x-rtx3090.txt').split('\n\n')[0] ?? '', smiSi: null, smiFlock: null });
    const facts = await linuxFacts();
    expect(facts.gpus.map((gpu) => [gpu.vendor, gpu.type])).toEqual([['Intel Corporation', undefined]]);
  });

  it('macOS on an M2 Pro (what systeminformation returns): METAL_0 with the machine RAM', async () => {
    const facts = await collectMachineFacts({
      source: source(async () => ({
        controllers: [
          controller({
            vendor: 'Apple',
            model: 'Apple M2 Pro',
            bus: 'Built-In',
            vramDynamic: true,
            cores: 19,
            metalVersion: 'Metal 3',
          }),
        ],
      })),
      platform: 'darwin',
      arch: 'arm64',
      nvidiaSmi: async () => RIG.smiFlock,
    });
    // nvidia-smi is not asked on macOS, and would not be believed.
    expect(facts.gpus).toEqual([
      { vendor: 'Apple', model: 'Apple M2 Pro', vramBytes: 32 * GIB, type: 'METAL', id: 'METAL_0' },
    ]);
  });

  it('a Windows laptop (Intel iGPU + RTX 4060 Laptop, what systeminformation returns): the NVIDIA card only', async () => {
    const facts = await collectMachineFacts({
      source: source(async () => ({
        controllers: [
          controller({
            vendor: 'Intel Corporation',
            model: 'Intel(R) Iris(R) Xe Graphics',
            bus: 'PCI',
            vram: 1024,
            vramDynamic: true,
          }),
          controller({
            vendor: 'NVIDIA',
            model: 'NVIDIA GeForce RTX 4060 Laptop GPU',
            name: 'NVIDIA GeForce RTX 4060 Laptop GPU',
            bus: 'PCI',
            pciBus: '00000000:01:00.0',
            driverVersion: '546.33',
            memoryTotal: 8188,
            vram: 8188,
          }),
        ],
      })),
      platform: 'win32',
      arch: 'x64',
      nvidiaSmi: async () => '546.33, NVIDIA GeForce RTX 4060 Laptop GPU, 00000000:01:00.0, 8188\n',
    });
    expect(
      facts.gpus.filter((gpu) => gpu.type).map(({ type, id, vramBytes }) => ({ type, id, vramBytes })),
    ).toEqual([
      {
        type: 'OPTIX',
        id: 'CUDA_NVIDIA GeForce RTX 4060 Laptop GPU_0000:01:00_OptiX',
        vramBytes: 8188 * MIB,
      },
    ]);
  });
});

describe("nvidia-smi's answer", () => {
  it('reads the CSV, skipping what is not a GPU line', () => {
    expect(
      parseNvidiaSmiGpus(
        [
          '535.183.01, NVIDIA GeForce RTX 3090, 00000000:0A:00.0, 24576',
          'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.',
          '[N/A], NVIDIA A100-SXM4-40GB, 00000000:07:00.0, [N/A]',
          '535.183.01, , 00000000:0B:00.0, 24576',
          '535.183.01, x, not-a-bus, 1',
        ].join('\n'),
      ),
    ).toEqual([
      {
        name: 'NVIDIA GeForce RTX 3090',
        pciBus: '00000000:0A:00.0',
        driverVersion: '535.183.01',
        memoryMiB: 24576,
      },
      { name: 'NVIDIA A100-SXM4-40GB', pciBus: '00000000:07:00.0' },
    ]);
  });

  it('a card systeminformation already has is not added twice', () => {
    const merged = withNvidiaSmiGpus(
      [controller({ vendor: 'NVIDIA Corporation', model: 'GA102', busAddress: '0a:00.0' })],
      parseNvidiaSmiGpus('535.183.01, NVIDIA GeForce RTX 3090, 00000000:0A:00.0, 24576\n'),
    );
    expect(merged).toHaveLength(1);
  });

  it('never throws on any answer and keeps at most 64 cards', () => {
    const fragments = [
      '535.183.01',
      ', ',
      'NVIDIA GeForce',
      '00000000:0A:00.0',
      '24576',
      '[N/A]',
      '\n',
      ',',
      ':',
    ];
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 500 }),
      fc.array(fc.constantFrom(...fragments), { maxLength: 60 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (csv) => {
        const gpus = parseNvidiaSmiGpus(csv);
        expect(gpus.length).toBeLessThanOrEqual(64);
        for (const gpu of gpus) expect(gpu.name.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
    const many = '535.183.01, NVIDIA GeForce RTX 3090, 00000000:0A:00.0, 24576\n'.repeat(10_000);
    expect(parseNvidiaSmiGpus(many)).toHaveLength(64);
  });
});
