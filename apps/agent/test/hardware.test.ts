import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Systeminformation } from 'systeminformation';
import { afterEach, describe, expect, it } from 'vitest';
import {
  collectMachineFacts,
  computeHwid,
  getHwid,
  type HwidSources,
  machineHwid,
  pciAddress,
  type SystemInfoSource,
} from '../src/hardware/index.js';

const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flock-hwid-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function controller(fields: Partial<Systeminformation.GraphicsControllerData>) {
  return { vendor: '', model: '', bus: '', vram: null, vramDynamic: false, ...fields };
}

function cannedSource(overrides: {
  controllers?: Systeminformation.GraphicsControllerData[];
  uuid?: Partial<Systeminformation.UuidData>;
  system?: { uuid: string; serial: string };
}): SystemInfoSource {
  return {
    cpu: async () =>
      ({
        manufacturer: 'AMD',
        brand: 'Ryzen 9 7950X',
        family: '25',
        model: '97',
        cores: 32,
      }) as Systeminformation.CpuData,
    mem: async () => ({ total: 64 * 1024 ** 3 }),
    osInfo: async () =>
      ({ distro: 'macOS', release: '14.1', hostname: 'studio-7' }) as Systeminformation.OsData,
    graphics: async () => ({ controllers: overrides.controllers ?? [] }),
    uuid: async () => ({ os: 'machine-id-0', hardware: '', macs: [], ...overrides.uuid }),
    system: async () => overrides.system ?? { uuid: '', serial: '' },
  };
}

describe('machine facts (this machine, systeminformation 5)', () => {
  it('reports what the OS says about CPU, RAM, OS and host', async () => {
    const facts = await collectMachineFacts();
    expect(facts.os).toBe('linux');
    expect(facts.osVersion).toMatch(/^linux \S/);
    expect(facts.osVersion).toBe(facts.osVersion.toLowerCase());
    expect(facts.bits).toBe('64bit');
    expect(facts.cpu.cores).toBe(availableParallelism());
    expect(facts.cpu.family).toMatch(/^\d+$/);
    expect(facts.cpu.model).toMatch(/^\d+$/);
    const modelName = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
    expect(facts.cpu.name).toBe(modelName);
    expect(facts.ramKiB).toBe(Math.floor(totalmem() / 1024));
    expect(facts.hostname).toBe(hostname());
    expect(Array.isArray(facts.gpus)).toBe(true);
  });
});

describe('machine facts from canned systeminformation answers', () => {
  it('names macOS on Apple silicon "macm1"; only its Apple GPU renders there (Metal)', async () => {
    const facts = await collectMachineFacts({
      platform: 'darwin',
      arch: 'arm64',
      cpuinfoPath: '/nonexistent/cpuinfo',
      source: cannedSource({
        controllers: [
          controller({
            vendor: 'NVIDIA',
            model: 'GeForce RTX 3060',
            name: 'NVIDIA GeForce RTX 3060',
            pciBus: '00000000:01:00.0',
            memoryTotal: 12288,
          }),
          controller({
            vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]',
            model: 'Radeon RX 7900',
            busAddress: '0a:00.0',
            vram: 24576,
          }),
          controller({ vendor: 'Intel Corporation', model: 'UHD Graphics 770', vram: 256 }),
          controller({ vendor: 'Apple', model: 'Apple M2 Max', bus: 'Built-In', vramDynamic: true }),
          controller({ vendor: 'Unknown', model: '' }),
        ],
      }),
    });
    expect(facts).toMatchObject({
      os: 'macm1',
      osVersion: 'mac macos 14.1',
      bits: '64bit',
      cpu: { family: '25', model: '97', name: 'AMD Ryzen 9 7950X', cores: 32 },
      ramKiB: 64 * 1024 * 1024,
      hostname: 'studio-7',
    });
    expect(facts.gpus).toEqual([
      {
        vendor: 'NVIDIA',
        model: 'NVIDIA GeForce RTX 3060',
        vramBytes: 12288 * 1024 * 1024,
        pciBus: '00000000:01:00.0',
      },
      {
        vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]',
        model: 'Radeon RX 7900',
        vramBytes: 24576 * 1024 * 1024,
        pciBus: '0a:00.0',
      },
      { vendor: 'Intel Corporation', model: 'UHD Graphics 770', vramBytes: 256 * 1024 * 1024 },
      { vendor: 'Apple', model: 'Apple M2 Max', vramBytes: 64 * 1024 ** 3, type: 'METAL', id: 'METAL_0' },
    ]);
  });

  it('reports 32-bit Windows as such', async () => {
    const facts = await collectMachineFacts({
      platform: 'win32',
      arch: 'ia32',
      cpuinfoPath: '/nonexistent/cpuinfo',
      source: cannedSource({}),
    });
    expect(facts.os).toBe('windows');
    expect(facts.bits).toBe('32bit');
  });

  it.each([
    ['00000000:01:00.0', '0000:01:00'],
    ['0001:81:1f.3', '0001:81:1f'],
    ['01:00.0', '0000:01:00'],
    ['garbage', undefined],
  ])('pciAddress(%j) = %j', (input, expected) => {
    expect(pciAddress(input)).toBe(expected);
  });
});

const BASE: HwidSources = {
  machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
  hardwareUuid: '4c4c4544-0042-3510-8052-b4c04f4e3732',
  systemSerial: 'CZC1234XYZ',
  cpuName: 'Intel(R) Xeon(R) Processor',
  macs: ['02:fc:00:00:00:01'],
};

describe('hwid', () => {
  it('is 32 lower-case hex digits, deterministic, and contains none of its inputs', () => {
    const hwid = computeHwid(BASE);
    expect(hwid).toMatch(/^[0-9a-f]{32}$/);
    expect(computeHwid({ ...BASE })).toBe(hwid);
    for (const fact of [
      BASE.machineId,
      BASE.hardwareUuid.replaceAll('-', ''),
      'czc1234xyz',
      '02fc00000001',
    ]) {
      expect(hwid).not.toContain(fact.slice(0, 8));
    }
  });

  it('changes with any stable identifying fact but not with MACs when stable ids exist', () => {
    const hwid = computeHwid(BASE);
    expect(computeHwid({ ...BASE, machineId: 'another' })).not.toBe(hwid);
    expect(computeHwid({ ...BASE, hardwareUuid: 'another' })).not.toBe(hwid);
    expect(computeHwid({ ...BASE, cpuName: 'another' })).not.toBe(hwid);
    expect(computeHwid({ ...BASE, macs: ['aa:bb:cc:dd:ee:ff', '02:42:ac:11:00:02'] })).toBe(hwid);
  });

  it('falls back to sorted MACs plus a secret when the machine has no stable id', () => {
    const bare = { ...BASE, machineId: '', hardwareUuid: '', systemSerial: '-' };
    const a = computeHwid({ ...bare, macs: ['aa:bb:cc:00:00:01', '02:42:ac:11:00:02'], installSecret: 's1' });
    expect(
      computeHwid({ ...bare, macs: ['02:42:AC:11:00:02', 'aa:bb:cc:00:00:01'], installSecret: 's1' }),
    ).toBe(a);
    expect(
      computeHwid({ ...bare, macs: ['aa:bb:cc:00:00:01', '02:42:ac:11:00:02'], installSecret: 's2' }),
    ).not.toBe(a);
  });

  it('uses a 0600 install secret from the state dir when there is no machine id, stable across restarts', async () => {
    const dir = await stateDir();
    const source = cannedSource({ uuid: { os: '', macs: ['aa:bb:cc:00:00:01'] } });
    const first = await machineHwid({ stateDir: dir, source });
    expect(await machineHwid({ stateDir: dir, source })).toBe(first);
    expect(((await stat(join(dir, 'hwid-secret'))).mode & 0o777).toString(8)).toBe('600');
    expect(await machineHwid({ stateDir: await stateDir(), source })).not.toBe(first);
  });

  it('needs no state file when the OS has a machine id, and is cached per process', async () => {
    const dir = await stateDir();
    const first = await getHwid(dir);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(getHwid(dir)).toBe(getHwid(dir));
    expect(await machineHwid({ stateDir: dir })).toBe(first);
  });
});
