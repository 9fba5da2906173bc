import { readFile } from 'node:fs/promises';
import { arch, availableParallelism, hostname as osHostname, platform } from 'node:os';
import type { Systeminformation } from 'systeminformation';
import * as si from 'systeminformation';
import { withAmdgpuVram } from './amdgpu-vram.js';
import { type GpuInfo, gpusFromControllers } from './gpu.js';
import { computeHwid, loadInstallSecret } from './hwid.js';
import { parseNvidiaSmiGpus, readNvidiaSmi, withNvidiaSmiGpus } from './nvidia-smi.js';

/** What the farm is told about this machine at login (docs/protocol.md §2.1). */
export interface MachineFacts {
  /** `linux`, `mac`, `macm1`, `windows` or `freebsd` (the `os` config parameter). */
  os: string;
  /** Lower-case `<os> <distro> <release>`, e.g. `linux debian gnu/linux 12`. */
  osVersion: string;
  bits: '64bit' | '32bit';
  cpu: { family: string; model: string; name: string; cores: number };
  ramKiB: number;
  hostname: string;
  gpus: GpuInfo[];
}

/** The parts of systeminformation the agent reads; tests pass canned answers. */
export interface SystemInfoSource {
  cpu(): Promise<Systeminformation.CpuData>;
  mem(): Promise<Pick<Systeminformation.MemData, 'total'>>;
  osInfo(): Promise<Systeminformation.OsData>;
  graphics(): Promise<Pick<Systeminformation.GraphicsData, 'controllers'>>;
  uuid(): Promise<Systeminformation.UuidData>;
  system(): Promise<Pick<Systeminformation.SystemData, 'uuid' | 'serial'>>;
}

export interface MachineOptions {
  source?: SystemInfoSource;
  /** `/proc/cpuinfo`'s "model name" is the exact string the official client sends; tests point elsewhere. */
  cpuinfoPath?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** nvidia-smi's answer (nvidia-smi.ts); default: asked on this machine. */
  nvidiaSmi?: () => Promise<string | undefined>;
  /** Where sysfs is mounted (Linux: AMD cards' VRAM); tests point elsewhere. */
  sysfsRoot?: string;
}

export async function collectMachineFacts(options: MachineOptions = {}): Promise<MachineFacts> {
  const source = options.source ?? si;
  const nodePlatform = options.platform ?? platform();
  const [cpu, mem, osInfo, graphics, smi] = await Promise.all([
    source.cpu(),
    source.mem(),
    source.osInfo(),
    source.graphics().catch(() => ({ controllers: [] })),
    // macOS has had no NVIDIA driver since 10.13: nothing there is a CUDA device.
    nodePlatform === 'darwin' ? undefined : (options.nvidiaSmi ?? readNvidiaSmi)().catch(() => undefined),
  ]);
  const controllers = withNvidiaSmiGpus(graphics.controllers, parseNvidiaSmiGpus(smi ?? ''));
  const gpus = gpusFromControllers(controllers, { platform: nodePlatform, totalRamBytes: mem.total });
  const os = osName(nodePlatform, options.arch ?? arch());
  return {
    os,
    osVersion: `${os.replace('macm1', 'mac')} ${osInfo.distro} ${osInfo.release}`.toLowerCase().trim(),
    bits: /64/.test(options.arch ?? arch()) ? '64bit' : '32bit',
    cpu: {
      family: cpu.family,
      model: cpu.model,
      name: (await cpuinfoModelName(options.cpuinfoPath ?? '/proc/cpuinfo')) ?? cpuName(cpu),
      cores: cpu.cores > 0 ? cpu.cores : availableParallelism(),
    },
    ramKiB: Math.floor(mem.total / 1024),
    hostname: osInfo.hostname || osHostname(),
    gpus: nodePlatform === 'linux' ? await withAmdgpuVram(gpus, options.sysfsRoot) : gpus,
  };
}

function osName(nodePlatform: NodeJS.Platform, nodeArch: string): string {
  if (nodePlatform === 'darwin') return nodeArch === 'arm64' ? 'macm1' : 'mac';
  if (nodePlatform === 'win32') return 'windows';
  return nodePlatform;
}

function cpuName(cpu: Systeminformation.CpuData): string {
  return [cpu.manufacturer, cpu.brand].filter(Boolean).join(' ').trim();
}

async function cpuinfoModelName(path: string): Promise<string | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface HwidOptions {
  source?: SystemInfoSource;
  /** Where the per-install secret lives when the OS has no machine id (e.g. the agent's config dir). */
  stateDir: string;
}

/** The machine's `hwid` (see hwid.ts for why it is stable and not reversible). */
export async function machineHwid(options: HwidOptions): Promise<string> {
  const source = options.source ?? si;
  const [ids, system, cpu] = await Promise.all([
    source.uuid(),
    source.system().catch(() => ({ uuid: '', serial: '' })),
    source.cpu(),
  ]);
  const machineId = ids.os ?? '';
  return computeHwid({
    machineId,
    hardwareUuid: system.uuid || ids.hardware || '',
    systemSerial: system.serial ?? '',
    cpuName: cpuName(cpu),
    macs: ids.macs ?? [],
    ...(machineId.trim() === '' && { installSecret: await loadInstallSecret(options.stateDir) }),
  });
}

let cachedFacts: Promise<MachineFacts> | undefined;
const cachedHwids = new Map<string, Promise<string>>();

/** Machine facts, read once per process (systeminformation calls take ~100 ms and spawn tools). */
export function getMachineFacts(): Promise<MachineFacts> {
  cachedFacts ??= collectMachineFacts().catch((error) => {
    cachedFacts = undefined;
    throw error;
  });
  return cachedFacts;
}

/** The hwid, computed once per process and state dir. */
export function getHwid(stateDir: string): Promise<string> {
  let hwid = cachedHwids.get(stateDir);
  if (!hwid) {
    hwid = machineHwid({ stateDir }).catch((error) => {
      cachedHwids.delete(stateDir);
      throw error;
    });
    cachedHwids.set(stateDir, hwid);
  }
  return hwid;
}
