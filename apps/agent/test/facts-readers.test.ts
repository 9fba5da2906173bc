// The owner-rule fact readers of every OS, run against recorded tool answers (the tools of other OSes
// cannot run here): which tool each OS asks, what a failing tool reads as, the slow facts' cache, the
// once-only log of what a machine cannot read, and the owner's CPU load from the agent's samples.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { PowerShellSession } from '../src/render/powershell-session.js';
import { createFactsReader, type FactsReaderOptions, OwnerCpuAverage } from '../src/rules/facts.js';
import type { CommandRunner } from '../src/rules/readers/run-command.js';
import { WINDOWS_IDLE_COMMAND } from '../src/rules/readers/user-idle.js';
import * as recorded from './support/facts-fixtures.js';

const FAKE_POWERSHELL = fileURLToPath(new URL('./support/fake-powershell.mjs', import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A machine whose tools answer from `answers` (`tool arg…` → output; missing: the tool is not installed). */
function recordedMachine(answers: Record<string, string>) {
  const calls: string[] = [];
  const run: CommandRunner = async (file, args) => {
    const command = [file, ...args].join(' ');
    calls.push(command);
    const key = Object.keys(answers).find((prefix) => command.startsWith(prefix));
    return key === undefined ? undefined : answers[key];
  };
  return { run, calls };
}

const noSensors = {
  battery: async () => ({ hasBattery: false, acConnected: true }),
  cpuTemperature: async () => ({ main: null, max: null }),
};

function reader(clock: ManualClock, options: Partial<FactsReaderOptions>) {
  const lines: string[] = [];
  const facts = createFactsReader({
    now: () => clock.now(),
    log: { info: (line) => lines.push(line) },
    systemInfo: noSensors,
    timeZone: () => 'Europe/Paris',
    ...options,
  });
  cleanups.push(() => facts.close?.());
  return { facts, lines };
}

describe('user idle per OS', () => {
  it('Linux X11 without xprintidle falls back to GNOME’s idle monitor and keeps to it', async () => {
    const clock = new ManualClock();
    const machine = recordedMachine({ 'gdbus call': recorded.MUTTER_IDLETIME });
    const { facts } = reader(clock, { platform: 'linux', env: { DISPLAY: ':0' }, run: machine.run });
    expect(await facts.read([])).toMatchObject({ session: 'desktop', userIdleSeconds: 73.412 });
    await facts.read([]);
    expect(machine.calls.filter((call) => call.startsWith('xprintidle'))).toHaveLength(1);
    expect(machine.calls.filter((call) => call.startsWith('gdbus'))).toHaveLength(2);
  });

  it('Linux X11 with xprintidle reads it', async () => {
    const machine = recordedMachine({ xprintidle: recorded.XPRINTIDLE });
    const { facts } = reader(new ManualClock(), {
      platform: 'linux',
      env: { DISPLAY: ':1' },
      run: machine.run,
    });
    expect(await facts.read([])).toMatchObject({ session: 'desktop', userIdleSeconds: 4.821 });
  });

  it('a desktop session no tool can read is unknown, and said once', async () => {
    const machine = recordedMachine({ 'gdbus call': recorded.MUTTER_NOT_RUNNING.replace(/.*/s, 'garbage') });
    const { facts, lines } = reader(new ManualClock(), {
      platform: 'linux',
      env: { WAYLAND_DISPLAY: 'wayland-0', XDG_SESSION_ID: '2' },
      run: machine.run,
    });
    for (let read = 0; read < 3; read++) {
      expect(await facts.read([])).toMatchObject({ session: 'unknown', userIdleSeconds: null });
    }
    expect(
      machine.calls.some((call) => call.startsWith('loginctl show-session') && call.endsWith(' 2')),
    ).toBe(true);
    expect(lines.filter((line) => line.includes('idle time cannot be read'))).toHaveLength(1);
  });

  it('Linux as a service reads the owner’s desktop from logind, else says headless', async () => {
    const clock = new ManualClock(); // 2026-01-05 12:00 UTC: alice has been idle since 11:55
    const idle = recordedMachine({
      'loginctl list-sessions': recorded.LOGINCTL_LIST_252,
      'loginctl show-session': recorded.LOGINCTL_SHOW_ALICE_IDLE,
    });
    const service = reader(clock, { platform: 'linux', env: {}, run: idle.run });
    expect(await service.facts.read([])).toMatchObject({ session: 'desktop', userIdleSeconds: 300 });
    const typing = recordedMachine({
      'loginctl list-sessions': recorded.LOGINCTL_LIST_256,
      'loginctl show-session': recorded.LOGINCTL_SHOW_ALICE_ACTIVE,
    });
    expect(await reader(clock, { platform: 'linux', env: {}, run: typing.run }).facts.read([])).toMatchObject(
      {
        session: 'desktop',
        userIdleSeconds: 0,
      },
    );
    const server = recordedMachine({
      'loginctl list-sessions': '     14 1000 alice       pts/1\n',
      'loginctl show-session': recorded.LOGINCTL_SHOW_SSH_ONLY,
    });
    expect(
      (await reader(clock, { platform: 'linux', env: {}, run: server.run }).facts.read([])).session,
    ).toBe('headless');
    const noLogind = recordedMachine({});
    expect(
      (await reader(clock, { platform: 'linux', env: {}, run: noLogind.run }).facts.read([])).session,
    ).toBe('headless');
  });

  it('lists logind sessions again only every 30 s', async () => {
    const clock = new ManualClock();
    const machine = recordedMachine({
      'loginctl list-sessions': recorded.LOGINCTL_LIST_252,
      'loginctl show-session': recorded.LOGINCTL_SHOW_ALICE_IDLE,
    });
    const { facts } = reader(clock, { platform: 'linux', env: {}, run: machine.run });
    await facts.read([]);
    clock.advance(10_000);
    expect((await facts.read([])).userIdleSeconds).toBe(310);
    clock.advance(20_000);
    await facts.read([]);
    expect(machine.calls.filter((call) => call.startsWith('loginctl list-sessions'))).toHaveLength(2);
    expect(machine.calls.filter((call) => call.startsWith('loginctl show-session'))).toHaveLength(3);
  });

  it('macOS reads ioreg’s HIDIdleTime', async () => {
    const machine = recordedMachine({ 'ioreg -c IOHIDSystem': recorded.IOREG_HID });
    const { facts } = reader(new ManualClock(), { platform: 'darwin', env: {}, run: machine.run });
    const read = await facts.read([]);
    expect(read.session).toBe('desktop');
    expect(read.userIdleSeconds).toBeCloseTo(1.523, 3);
  });

  it('Windows reads GetLastInputInfo in one PowerShell session for every read; a service is headless', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flock-facts-ps-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const answer = path.join(dir, 'answer.txt');
    const commands = path.join(dir, 'commands.txt');
    writeFileSync(answer, recorded.WINDOWS_IDLE);
    process.env.FAKE_POWERSHELL_ANSWER = answer;
    process.env.FAKE_POWERSHELL_LOG = commands;
    cleanups.push(() => {
      delete process.env.FAKE_POWERSHELL_ANSWER;
      delete process.env.FAKE_POWERSHELL_LOG;
    });
    const powerShell = new PowerShellSession(FAKE_POWERSHELL);
    const machine = recordedMachine({});
    const desktop = reader(new ManualClock(), {
      platform: 'win32',
      env: { SESSIONNAME: 'Console' },
      run: machine.run,
      powerShell,
    });
    expect(await desktop.facts.read([])).toMatchObject({ session: 'desktop', userIdleSeconds: 95.012 });
    writeFileSync(answer, '-1\r\n'); // GetLastInputInfo failed
    expect(await desktop.facts.read([])).toMatchObject({ session: 'unknown', userIdleSeconds: null });
    const sent = readFileSync(commands, 'utf8').trim().split('\n');
    expect(sent).toHaveLength(2);
    expect(sent[0]).toContain(WINDOWS_IDLE_COMMAND);
    const service = reader(new ManualClock(), { platform: 'win32', env: {}, run: machine.run });
    expect(await service.facts.read([])).toMatchObject({ session: 'headless', userIdleSeconds: null });
  });
});

describe('watched programs per OS', () => {
  it('macOS matches ps names, and a name ps cut at 16 characters by its start', async () => {
    const machine = recordedMachine({ 'ps -axco comm=': recorded.PS_MAC });
    const { facts } = reader(new ManualClock(), { platform: 'darwin', env: {}, run: machine.run });
    const watched = [
      'blender',
      'Google Chrome Helper (Renderer)',
      'Microsoft Teams',
      'Microsoft Teams (work)',
      'steam',
    ];
    expect((await facts.read(watched)).runningWatched).toEqual([
      'blender',
      'Google Chrome Helper (Renderer)',
      'Microsoft Teams',
    ]);
  });

  it('Windows matches tasklist image names with or without .exe', async () => {
    const machine = recordedMachine({ 'tasklist /fo csv /nh': recorded.TASKLIST_EN });
    const { facts } = reader(new ManualClock(), { platform: 'win32', env: {}, run: machine.run });
    expect((await facts.read(['MS-Teams', 'blender.exe', 'steam.exe'])).runningWatched).toEqual([
      'MS-Teams',
      'blender.exe',
    ]);
  });

  it('lists no processes when no rule watches one, and reads none when the tool fails', async () => {
    const machine = recordedMachine({});
    const { facts } = reader(new ManualClock(), { platform: 'darwin', env: {}, run: machine.run });
    expect((await facts.read([])).runningWatched).toEqual([]);
    expect(machine.calls.some((call) => call.startsWith('ps'))).toBe(false);
    expect((await facts.read(['blender'])).runningWatched).toEqual([]);
    expect(machine.calls.some((call) => call.startsWith('ps'))).toBe(true);
  });
});

describe('slow facts and unavailable facts', () => {
  it('reads battery and temperatures at most every 15 s of the agent’s clock', async () => {
    const clock = new ManualClock();
    let batteryReads = 0;
    let temperatureReads = 0;
    const machine = recordedMachine({ 'nvidia-smi': recorded.NVIDIA_SMI_TWO_GPUS });
    const { facts } = reader(clock, {
      platform: 'linux',
      env: {},
      run: machine.run,
      systemInfo: {
        battery: async () => ({ hasBattery: true, acConnected: ++batteryReads > 1 }),
        cpuTemperature: async () => ({ main: 40 + ++temperatureReads, max: null }),
      },
    });
    expect(await facts.read([])).toMatchObject({ onBattery: true, cpuCelsius: 41, gpuCelsius: 61 });
    clock.advance(14_000);
    expect(await facts.read([])).toMatchObject({ onBattery: true, cpuCelsius: 41 });
    clock.advance(1_000);
    expect(await facts.read([])).toMatchObject({ onBattery: false, cpuCelsius: 42 });
    expect([batteryReads, temperatureReads]).toEqual([2, 2]);
    expect(machine.calls.filter((call) => call.startsWith('nvidia-smi'))).toHaveLength(2);
  });

  it('logs each fact it cannot read once, not at every read', async () => {
    const clock = new ManualClock();
    const { facts, lines } = reader(clock, { platform: 'linux', env: {}, run: recordedMachine({}).run });
    for (let read = 0; read < 5; read++) {
      const read = await facts.read(['blender']);
      expect(read).toMatchObject({
        onBattery: null,
        cpuCelsius: null,
        gpuCelsius: null,
        ownerCpuPercent: null,
      });
      clock.advance(20_000);
    }
    expect(lines).toHaveLength(5);
    for (const words of [
      'no desktop session',
      'no battery',
      'CPU temperature',
      'GPU temperature',
      'CPU load',
    ]) {
      expect(lines.filter((line) => line.includes(words))).toHaveLength(1);
    }
  });
});

describe('the owner’s CPU load', () => {
  /** A 4-core machine: `wallMs` pass on each core; the machine is busy for `busy` of it, the render for `render`. */
  function machineSamples(average: OwnerCpuAverage, clock: ManualClock) {
    const counters = { busyMs: 1_000_000, totalMs: 4_000_000, renderBusyMs: 0 as number | null };
    const sample = () =>
      average.record({ at: clock.now(), machine: { ...counters }, renderBusyMs: counters.renderBusyMs });
    sample();
    return (wallMs: number, busy: number, render: number | null) => {
      clock.advance(wallMs);
      counters.totalMs += wallMs * 4;
      counters.busyMs += wallMs * 4 * busy;
      counters.renderBusyMs = render === null ? null : (counters.renderBusyMs ?? 0) + wallMs * 4 * render;
      sample();
    };
  }

  it('is the machine’s busy CPU less the render’s, over the last minute', async () => {
    const clock = new ManualClock();
    const average = new OwnerCpuAverage();
    const run = machineSamples(average, clock);
    expect(average.percent(clock.now())).toBeNull(); // one sample spans no time
    for (let second = 0; second < 60; second += 2) run(2_000, 0.8, 0.5);
    expect(average.percent(clock.now())).toBe(30);
    // The owner stops their work: a minute later the figure is the render-only machine's.
    for (let second = 0; second < 62; second += 2) run(2_000, 0.5, 0.5);
    expect(average.percent(clock.now())).toBe(0);
    const { facts } = reader(clock, {
      platform: 'linux',
      env: {},
      run: recordedMachine({}).run,
      ownerCpu: average,
    });
    expect((await facts.read([])).ownerCpuPercent).toBe(0);
    // No sample for over a minute (the agent's sampling stopped): no figure rather than an old one.
    clock.advance(61_000);
    expect(average.percent(clock.now())).toBeNull();
  });

  it('is unknown while a render’s CPU time cannot be read, and starts over when counters go back', () => {
    const clock = new ManualClock();
    const average = new OwnerCpuAverage();
    const run = machineSamples(average, clock);
    run(10_000, 0.9, null);
    expect(average.percent(clock.now())).toBeNull();
    for (let second = 0; second < 70; second += 10) run(10_000, 0.25, 0);
    expect(average.percent(clock.now())).toBe(25);
    average.record({ at: clock.now(), machine: { busyMs: 10, totalMs: 100 }, renderBusyMs: 0 }); // a reboot's counters
    expect(average.percent(clock.now())).toBeNull();
  });
});
