// The platform side of owner rules: reads this machine's facts (user idle, watched programs, battery,
// temperatures, the owner's CPU load, time zone) through one reader module per fact (readers/).
// Slow facts (battery, temperatures) are read at most every SLOW_FACTS_MAX_AGE_MS and cached; a fact
// this machine cannot read is logged once, then only its null travels.
import type { FactName, MachineFacts } from '@flock/protocol';
import * as si from 'systeminformation';
import type { Logger } from '../log/index.js';
import type { FactsReader } from './facts-reader.js';
import { type BatteryAnswer, readOnBattery } from './readers/battery.js';
import { cachedFor } from './readers/cached.js';
import { readLinuxCpuTemperature } from './readers/linux-temperature.js';
import type { OwnerCpuAverage } from './readers/owner-cpu.js';
import { runningWatchedNames } from './readers/processes.js';
import { type CommandRunner, runCommand } from './readers/run-command.js';
import { type CpuTemperatureAnswer, readCpuCelsius, readGpuCelsius } from './readers/temperature.js';
import { createUserIdleReader, type PowerShellRunner, type UserIdle } from './readers/user-idle.js';

export { type FactsReader, type FakeFactsReader, fakeFactsReader } from './facts-reader.js';
export { ChildrenCpuTime } from './readers/children-cpu.js';
export { OwnerCpuAverage, type OwnerCpuSample } from './readers/owner-cpu.js';

/**
 * Battery and temperatures change over tens of seconds; reading them costs a tool run or a sysfs
 * walk. The time zone is read as seldom (it changes with the machine's settings, not by the second).
 */
export const SLOW_FACTS_MAX_AGE_MS = 15_000;

/** The systeminformation calls the readers use (on Linux the CPU temperature is read from sysfs); tests pass canned answers. */
export interface FactsSystemInfo {
  battery(): Promise<BatteryAnswer>;
  cpuTemperature(): Promise<CpuTemperatureAnswer>;
}

export interface FactsReaderOptions {
  /** The agent's clock. */
  now: () => number;
  log?: Pick<Logger, 'info'>;
  /** Fed by the agent's usage sampling; without it the owner's CPU load is unavailable. */
  ownerCpu?: OwnerCpuAverage;
  platform?: NodeJS.Platform;
  env?: Readonly<Record<string, string | undefined>>;
  run?: CommandRunner;
  systemInfo?: FactsSystemInfo;
  /** Linux's proc file system. */
  procDir?: string;
  /** Linux's /sys/class (hwmon and thermal zones, for the CPU temperature). */
  sysClassDir?: string;
  /** Windows: the PowerShell session the idle time is read in. */
  powerShell?: PowerShellRunner;
  slowFactsMaxAgeMs?: number;
  timeZone?: () => string | null;
}

export function createFactsReader(options: FactsReaderOptions): FactsReader {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? runCommand;
  const systemInfo = options.systemInfo ?? platformSystemInfo(platform, options.sysClassDir);
  const maxAgeMs = options.slowFactsMaxAgeMs ?? SLOW_FACTS_MAX_AGE_MS;
  const userIdle = createUserIdleReader({
    platform,
    env: options.env ?? process.env,
    run,
    now: options.now,
    ...(options.powerShell && { powerShell: options.powerShell }),
  });
  const onBattery = cachedFor(maxAgeMs, options.now, () => readOnBattery(() => systemInfo.battery()));
  const cpuCelsius = cachedFor(maxAgeMs, options.now, () =>
    readCpuCelsius(() => systemInfo.cpuTemperature()),
  );
  const gpuCelsius = cachedFor(maxAgeMs, options.now, () => readGpuCelsius(run));
  // An Intl.DateTimeFormat loads ICU data and leaves native memory behind: one per read (every 2 s)
  // grew a reading process's RSS by 8 MiB at once and 13 MiB over 3,000 reads.
  const timeZone = cachedFor(maxAgeMs, options.now, async () => (options.timeZone ?? systemTimeZone)());
  const report = unavailableReporter(options.log, options.ownerCpu !== undefined);
  return {
    async read(watched) {
      const [idle, runningWatched, battery, cpu, gpu, zone] = await Promise.all([
        userIdle.read(),
        runningWatchedNames(watched, { platform, run, ...(options.procDir && { procDir: options.procDir }) }),
        onBattery(),
        cpuCelsius(),
        gpuCelsius(),
        timeZone(),
      ]);
      const facts: MachineFacts = {
        at: options.now(),
        ...idle,
        onBattery: battery,
        cpuCelsius: cpu,
        gpuCelsius: gpu,
        ownerCpuPercent: options.ownerCpu?.percent(options.now()) ?? null,
        runningWatched,
        timeZone: zone,
      };
      report(facts, idle);
      return facts;
    },
    close() {
      userIdle.close();
    },
  };
}

/**
 * systeminformation, but on Linux the CPU temperature comes from sysfs: its cpuTemperature() runs up
 * to four shells a call there for the same kernel readings, and each one grew the idle agent's memory.
 */
function platformSystemInfo(platform: NodeJS.Platform, sysClassDir: string | undefined): FactsSystemInfo {
  if (platform !== 'linux') return si;
  return { battery: () => si.battery(), cpuTemperature: async () => readLinuxCpuTemperature(sysClassDir) };
}

export function systemTimeZone(): string | null {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return typeof zone === 'string' && zone.length > 0 && zone.length <= 100 ? zone : null;
}

const UNAVAILABLE_MESSAGES: Record<FactName, string> = {
  'user-idle':
    'the desktop session’s idle time cannot be read (on Linux with X11, install xprintidle): rules on user activity count it idle',
  battery: 'no battery found: rules on battery never hold',
  'cpu-temperature': 'no CPU temperature sensor found: CPU temperature rules never hold',
  'gpu-temperature':
    'no GPU temperature found (read from NVIDIA GPUs with nvidia-smi): GPU temperature rules never hold',
  'owner-cpu': 'the owner’s CPU load is not measured by this agent: CPU load rules never hold',
};

/** Logs each fact the first time it cannot be read (and a headless machine once), never again. */
function unavailableReporter(
  log: Pick<Logger, 'info'> | undefined,
  measuresOwnerCpu: boolean,
): (facts: MachineFacts, idle: UserIdle) => void {
  const reported = new Set<string>();
  const once = (key: string, message: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    log?.info(`owner rules: ${message}`);
  };
  return (facts, idle) => {
    if (idle.session === 'headless')
      once('headless', 'no desktop session on this machine: it counts as idle');
    if (idle.session !== 'headless' && idle.userIdleSeconds === null)
      once('user-idle', UNAVAILABLE_MESSAGES['user-idle']);
    if (facts.onBattery === null) once('battery', UNAVAILABLE_MESSAGES.battery);
    if (facts.cpuCelsius === null) once('cpu-temperature', UNAVAILABLE_MESSAGES['cpu-temperature']);
    if (facts.gpuCelsius === null) once('gpu-temperature', UNAVAILABLE_MESSAGES['gpu-temperature']);
    // Without samples yet (the first minute) the load is null but not unavailable: only a missing feed is.
    if (!measuresOwnerCpu) once('owner-cpu', UNAVAILABLE_MESSAGES['owner-cpu']);
  };
}
