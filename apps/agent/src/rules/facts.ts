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
import type { OwnerCpuAverage } from './readers/owner-cpu.js';
import { runningWatchedNames } from './readers/processes.js';
import { type CommandRunner, runCommand } from './readers/run-command.js';
import { type CpuTemperatureAnswer, readCpuCelsius, readGpuCelsius } from './readers/temperature.js';
import { createUserIdleReader, type PowerShellRunner, type UserIdle } from './readers/user-idle.js';

export { type FactsReader, type FakeFactsReader, fakeFactsReader } from './facts-reader.js';
export { OwnerCpuAverage, type OwnerCpuSample } from './readers/owner-cpu.js';

/** Battery and temperatures change over tens of seconds; reading them costs a tool run or a sysfs walk. */
export const SLOW_FACTS_MAX_AGE_MS = 15_000;

/** The systeminformation calls the readers use; tests pass canned answers. */
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
  /** Windows: the PowerShell session the idle time is read in. */
  powerShell?: PowerShellRunner;
  slowFactsMaxAgeMs?: number;
  timeZone?: () => string | null;
}

export function createFactsReader(options: FactsReaderOptions): FactsReader {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? runCommand;
  const systemInfo = options.systemInfo ?? si;
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
  const report = unavailableReporter(options.log, options.ownerCpu !== undefined);
  return {
    async read(watched) {
      const [idle, runningWatched, battery, cpu, gpu] = await Promise.all([
        userIdle.read(),
        runningWatchedNames(watched, { platform, run, ...(options.procDir && { procDir: options.procDir }) }),
        onBattery(),
        cpuCelsius(),
        gpuCelsius(),
      ]);
      const facts: MachineFacts = {
        at: options.now(),
        ...idle,
        onBattery: battery,
        cpuCelsius: cpu,
        gpuCelsius: gpu,
        ownerCpuPercent: options.ownerCpu?.percent(options.now()) ?? null,
        runningWatched,
        timeZone: (options.timeZone ?? systemTimeZone)(),
      };
      report(facts, idle);
      return facts;
    },
    close() {
      userIdle.close();
    },
  };
}

export function systemTimeZone(): string | null {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return typeof zone === 'string' && zone.length > 0 && zone.length <= 100 ? zone : null;
}

const UNAVAILABLE_MESSAGES: Record<FactName, string> = {
  'user-idle': 'the desktop session’s idle time cannot be read: rules on user activity count it idle',
  battery: 'no battery found: rules on battery never hold',
  'cpu-temperature': 'no CPU temperature sensor found: CPU temperature rules never hold',
  'gpu-temperature': 'no GPU temperature found (nvidia-smi): GPU temperature rules never hold',
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
