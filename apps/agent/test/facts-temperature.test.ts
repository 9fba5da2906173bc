// The CPU temperature on Linux, read from sysfs folders laid out as the kernel does (real files in a
// temp dir): which sensor wins on Intel, AMD and ARM boards, the thermal-zone fallbacks, unreadable
// or hostile file contents, and the facts reader using it instead of systeminformation's shell runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createFactsReader } from '../src/rules/facts.js';
import { parseMillidegrees, readLinuxCpuTemperature } from '../src/rules/readers/linux-temperature.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A /sys/class folder with the given files (path under it → content). */
function sysClass(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'flock-sysfs-'));
  dirs.push(root);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const INTEL_CORETEMP = {
  'hwmon/hwmon0/name': 'acpitz\n',
  'hwmon/hwmon0/temp1_input': '27800\n', // no label: not the CPU's
  'hwmon/hwmon1/name': 'coretemp\n',
  'hwmon/hwmon1/temp1_label': 'Package id 0\n',
  'hwmon/hwmon1/temp1_input': '52000\n',
  'hwmon/hwmon1/temp2_label': 'Core 0\n',
  'hwmon/hwmon1/temp2_input': '49000\n',
  'hwmon/hwmon1/temp3_label': 'Core 1\n',
  'hwmon/hwmon1/temp3_input': '57500\n',
};

describe('the CPU temperature from Linux sysfs', () => {
  it('takes the package sensor on Intel, with the hottest core as the maximum', () => {
    expect(readLinuxCpuTemperature(sysClass(INTEL_CORETEMP))).toEqual({ main: 52, max: 57.5 });
  });

  it('takes Tctl on AMD', () => {
    const root = sysClass({
      'hwmon/hwmon2/name': 'k10temp\n',
      'hwmon/hwmon2/temp1_label': 'Tctl\n',
      'hwmon/hwmon2/temp1_input': '61250\n',
      'hwmon/hwmon2/temp3_label': 'Tccd1\n',
      'hwmon/hwmon2/temp3_input': '55000\n',
    });
    expect(readLinuxCpuTemperature(root)).toEqual({ main: 61.3, max: 61.3 });
  });

  it('averages the cores when there is no package sensor', () => {
    const root = sysClass({
      'hwmon/hwmon0/temp2_label': 'Core 0',
      'hwmon/hwmon0/temp2_input': '40000',
      'hwmon/hwmon0/temp3_label': 'Core 1',
      'hwmon/hwmon0/temp3_input': '47000',
    });
    expect(readLinuxCpuTemperature(root)).toEqual({ main: 44, max: 47 });
  });

  it('falls back to the CPU thermal zone, then to thermal_zone0', () => {
    const raspberry = sysClass({
      'thermal/thermal_zone0/type': 'soc-dummy\n',
      'thermal/thermal_zone0/temp': '30000\n',
      'thermal/thermal_zone1/type': 'cpu-thermal\n',
      'thermal/thermal_zone1/temp': '48312\n',
    });
    expect(readLinuxCpuTemperature(raspberry)).toEqual({ main: 48.3, max: 48.3 });
    const laptop = sysClass({
      'thermal/thermal_zone0/type': 'acpitz\n',
      'thermal/thermal_zone0/temp': '45000\n',
    });
    expect(readLinuxCpuTemperature(laptop)).toEqual({ main: 45, max: 45 });
  });

  it('answers nulls without sensors, and skips readings that are not numbers', () => {
    expect(readLinuxCpuTemperature(sysClass({}))).toEqual({ main: null, max: null });
    const broken = sysClass({
      'hwmon/hwmon0/temp1_label': 'Package id 0',
      'hwmon/hwmon0/temp1_input': 'N/A',
      'thermal/thermal_zone0/temp': `${'9'.repeat(5000)}\n`,
    });
    expect(readLinuxCpuTemperature(broken)).toEqual({ main: null, max: null });
  });

  it('parses any text into null or a number of degrees, never throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 64 }), fc.integer().map(String)), (text) => {
        const celsius = parseMillidegrees(text);
        expect(celsius === null || (Number.isFinite(celsius) && Math.abs(celsius) < 10_000)).toBe(true);
      }),
    );
  });

  it('is what the facts reader reads on Linux (no systeminformation shell runs)', async () => {
    const reader = createFactsReader({
      now: Date.now,
      platform: 'linux',
      env: {},
      run: async () => undefined,
      sysClassDir: sysClass(INTEL_CORETEMP),
      timeZone: () => 'Europe/Paris',
    });
    expect((await reader.read([])).cpuCelsius).toBe(52);
  });
});
