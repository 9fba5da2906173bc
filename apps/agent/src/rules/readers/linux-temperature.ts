// The CPU temperature on Linux, read from sysfs the way systeminformation's cpuTemperature() reads it
// there, without the shell runs it makes for it (up to four `sh -c` a call on a machine without
// sensors: one synchronous, then hwmon, `sensors` and `vcgencmd`), which grew an idle agent's memory
// with every reading. In order:
//   1. hwmon chips' labelled sensors: `Tctl` (AMD), else `Package id N` / `Physical id N` / `Tccd1`;
//      without those, the mean of the `Core N` sensors (the hottest core as the maximum);
//   2. a thermal zone whose type names the CPU (`cpu-thermal` on a Raspberry Pi);
//   3. thermal_zone0. (`sensors` and `vcgencmd` print these same kernel readings.)
// Files hold millidegrees; the text is checked before use (a reading the caller finds implausible is
// dropped there).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CpuTemperatureAnswer } from './temperature.js';

/** More sensors than any machine has; a listing is cut there. */
const MAX_ENTRIES = 256;

export function readLinuxCpuTemperature(sysClassDir = '/sys/class'): CpuTemperatureAnswer {
  return fromHwmon(path.join(sysClassDir, 'hwmon')) ?? fromThermalZones(path.join(sysClassDir, 'thermal'));
}

/** A sysfs temperature file's text (millidegrees) in °C to 0.1; null when it is not one. */
export function parseMillidegrees(text: string): number | null {
  const match = /^\s*(-?\d{1,7})\s*$/.exec(text.slice(0, 32));
  return match ? Math.round(Number(match[1]) / 100) / 10 : null;
}

function fromHwmon(hwmonDir: string): CpuTemperatureAnswer | null {
  let main: number | null = null;
  let packageCelsius: number | null = null;
  const cores: number[] = [];
  for (const chip of list(hwmonDir)) {
    const chipDir = path.join(hwmonDir, chip);
    for (const file of list(chipDir).filter((name) => /^temp\d{1,3}_label$/.test(name))) {
      const label = readSmall(path.join(chipDir, file))?.trim().toLowerCase() ?? '';
      const celsius = parseMillidegrees(
        readSmall(path.join(chipDir, file.replace('_label', '_input'))) ?? '',
      );
      if (celsius === null) continue;
      if (label === 'tctl') main = celsius;
      else if (label.startsWith('core')) cores.push(celsius);
      else if (label.includes('package') || label.includes('physical') || label === 'tccd1')
        packageCelsius ??= celsius;
    }
  }
  main ??= packageCelsius;
  if (main === null && cores.length === 0) return null;
  main ??= Math.round(cores.reduce((sum, celsius) => sum + celsius, 0) / cores.length);
  return { main, max: Math.max(main, ...cores) };
}

function fromThermalZones(thermalDir: string): CpuTemperatureAnswer {
  const zones = list(thermalDir).filter((name) => /^thermal_zone\d{1,4}$/.test(name));
  const reading = (zone: string) => parseMillidegrees(readSmall(path.join(thermalDir, zone, 'temp')) ?? '');
  const cpuZone = zones.find((zone) =>
    readSmall(path.join(thermalDir, zone, 'type'))
      ?.toLowerCase()
      .includes('cpu'),
  );
  const fromCpuZone = cpuZone === undefined ? null : reading(cpuZone);
  const celsius = fromCpuZone ?? (zones.includes('thermal_zone0') ? reading('thermal_zone0') : null);
  return { main: celsius, max: celsius };
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).slice(0, MAX_ENTRIES);
  } catch {
    return [];
  }
}

/** A sysfs attribute's text (a page at most); undefined when it cannot be read. */
function readSmall(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').slice(0, 4096);
  } catch {
    return undefined;
  }
}
