export { sysfsPciName, withAmdgpuVram } from './amdgpu-vram.js';
export {
  DISK_SPACE_PERIOD_MS,
  DiskSpaceMonitor,
  type DiskSpaceMonitorOptions,
} from './disk-space.js';
export {
  driverAtLeast,
  type GpuContext,
  type GpuInfo,
  type GpuType,
  gpuIdFor,
  gpusFromControllers,
  OPTIX_MIN_DRIVER,
  pciAddress,
} from './gpu.js';
export { computeHwid, type HwidSources, loadInstallSecret } from './hwid.js';
export {
  collectMachineFacts,
  getHwid,
  getMachineFacts,
  type HwidOptions,
  type MachineFacts,
  type MachineOptions,
  machineHwid,
  type SystemInfoSource,
} from './machine.js';
export { NVIDIA_SMI_ARGS, type NvidiaSmiGpu, parseNvidiaSmiGpus, withNvidiaSmiGpus } from './nvidia-smi.js';
export {
  type CpuTimes,
  procStatCpuTimes,
  systemUsageSources,
  UsageMonitor,
  type UsageMonitorOptions,
  type UsageSources,
} from './usage.js';
