// CPU and GPU temperatures in °C. CPU: on Linux the hwmon sensors and thermal zones of sysfs
// (linux-temperature.ts); elsewhere systeminformation's cpuTemperature() (macOS: SMC on Intel,
// nothing on Apple silicon without a helper; Windows: WMI's MSAcpi_ThermalZoneTemperature, often
// missing). GPU: `nvidia-smi` where present, the hottest GPU.
// No sensor, or a reading outside what a chip can be at: null.
import type { Systeminformation } from 'systeminformation';
import type { CommandRunner } from './run-command.js';

/** systeminformation's cpuTemperature(): its types say numbers, but it answers null without a sensor. */
export type CpuTemperatureAnswer = {
  [Key in keyof Pick<Systeminformation.CpuTemperatureData, 'main' | 'max'>]?: number | null;
};

/** The readings a rule may use (MachineFactsSchema's bounds); systeminformation says -1 or 0 for none. */
const MIN_CELSIUS = 1;
const MAX_CELSIUS = 250;

function plausibleCelsius(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= MIN_CELSIUS && value <= MAX_CELSIUS
    ? value
    : null;
}

/** The package temperature (`main`), else the hottest core (`max`). */
export function cpuCelsiusFrom(answer: CpuTemperatureAnswer | undefined): number | null {
  return plausibleCelsius(answer?.main) ?? plausibleCelsius(answer?.max);
}

export async function readCpuCelsius(
  cpuTemperature: () => Promise<CpuTemperatureAnswer>,
): Promise<number | null> {
  return cpuCelsiusFrom(await cpuTemperature().catch(() => undefined));
}

export const NVIDIA_SMI_ARGS = ['--query-gpu=temperature.gpu', '--format=csv,noheader,nounits'];

/** `nvidia-smi --query-gpu=temperature.gpu --format=csv,noheader,nounits`: one integer per GPU; the hottest. */
export function parseNvidiaSmiTemperatures(text: string): number | null {
  let hottest: number | null = null;
  for (const line of text.slice(0, 64 * 1024).split(/\r?\n/)) {
    const match = /^\s*(\d{1,3})\s*$/.exec(line);
    const celsius = plausibleCelsius(match ? Number(match[1]) : null);
    if (celsius !== null && (hottest === null || celsius > hottest)) hottest = celsius;
  }
  return hottest;
}

export async function readGpuCelsius(run: CommandRunner): Promise<number | null> {
  const text = await run('nvidia-smi', NVIDIA_SMI_ARGS);
  return text === undefined ? null : parseNvidiaSmiTemperatures(text);
}
