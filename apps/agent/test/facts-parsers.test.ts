// The owner-rule fact parsers against recorded tool outputs of each OS, then fuzzed: whatever a tool
// prints, a parser returns null or a value in its range and never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onBatteryFrom } from '../src/rules/readers/battery.js';
import {
  isOwnerDesktop,
  MAX_IDLE_SECONDS,
  parseIoregHidIdleTime,
  parseLoginctlSessionIds,
  parseLoginctlSessions,
  parseMutterIdletime,
  parseWindowsIdleMs,
  parseXprintidle,
} from '../src/rules/readers/idle-parsers.js';
import { MAX_PROCESS_NAMES, parsePsNames, parseTasklistNames } from '../src/rules/readers/process-parsers.js';
import { cpuCelsiusFrom, parseNvidiaSmiTemperatures } from '../src/rules/readers/temperature.js';
import * as recorded from './support/facts-fixtures.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);

describe('idle-time parsers', () => {
  it('read each tool’s recorded answer in seconds', () => {
    expect(parseXprintidle(recorded.XPRINTIDLE)).toBe(4.821);
    expect(parseMutterIdletime(recorded.MUTTER_IDLETIME)).toBe(73.412);
    expect(parseIoregHidIdleTime(recorded.IOREG_HID)).toBeCloseTo(1.523400958, 9);
    expect(parseWindowsIdleMs(recorded.WINDOWS_IDLE)).toBe(95.012);
  });

  it('read failures and other shapes as null', () => {
    expect(parseMutterIdletime(recorded.MUTTER_NOT_RUNNING)).toBeNull();
    expect(parseWindowsIdleMs('-1\r\n')).toBeNull();
    expect(parseXprintidle("couldn't open display\n")).toBeNull();
    expect(parseXprintidle('12.5')).toBeNull();
    expect(parseXprintidle(`${'9'.repeat(25)}`)).toBeNull();
    expect(parseIoregHidIdleTime('"HIDIdleTime" = -5')).toBeNull();
    expect(parseXprintidle(String(MAX_IDLE_SECONDS * 1000 + 1000))).toBeNull();
  });

  it('lists logind sessions of every systemd layout', () => {
    expect(parseLoginctlSessionIds(recorded.LOGINCTL_LIST_252)).toEqual(['2', 'c1', '14']);
    expect(parseLoginctlSessionIds(recorded.LOGINCTL_LIST_256)).toEqual(['2', 'c1']);
    expect(parseLoginctlSessionIds('No sessions.\n')).toEqual([]);
  });

  it('reads the owner’s desktop session from logind, not the login screen nor ssh', () => {
    const sessions = parseLoginctlSessions(recorded.LOGINCTL_SHOW_ALICE_IDLE, NOW);
    expect(sessions.map(({ id, idleSeconds }) => ({ id, idleSeconds }))).toEqual([
      { id: '2', idleSeconds: 300 },
      { id: 'c1', idleSeconds: 0 },
      { id: '14', idleSeconds: 0 },
    ]);
    expect(sessions.filter(isOwnerDesktop).map((session) => session.id)).toEqual(['2']);
    const active = parseLoginctlSessions(recorded.LOGINCTL_SHOW_ALICE_ACTIVE, NOW).filter(isOwnerDesktop);
    expect(active.map((session) => session.idleSeconds)).toEqual([0]);
    expect(parseLoginctlSessions(recorded.LOGINCTL_SHOW_SSH_ONLY, NOW).filter(isOwnerDesktop)).toEqual([]);
  });

  it('reads an idle hint without its time, or far in the future, as unknown', () => {
    const session = (hint: string) =>
      parseLoginctlSessions(`Id=2\nType=x11\nClass=user\nActive=yes\n${hint}`, NOW)[0];
    expect(session('IdleHint=yes\nIdleSinceHint=0')?.idleSeconds).toBeNull();
    expect(session(`IdleHint=yes\nIdleSinceHint=${(NOW + 3_600_000) * 1000}`)?.idleSeconds).toBeNull();
    expect(session(`IdleHint=yes\nIdleSinceHint=${(NOW + 2_000) * 1000}`)?.idleSeconds).toBe(0);
    expect(session('IdleHint=maybe')?.idleSeconds).toBeNull();
  });
});

describe('process-name parsers', () => {
  it('read macOS ps names and Windows tasklist image names', () => {
    expect(parsePsNames(recorded.PS_MAC)).toContain('Google Chrome He');
    expect(parsePsNames(recorded.PS_MAC)).toHaveLength(8);
    expect(parsePsNames(`COMM\n${recorded.PS_MAC}`)).toHaveLength(8);
    expect(parseTasklistNames(recorded.TASKLIST_EN)).toEqual([
      'System Idle Process',
      'System',
      'svchost.exe',
      'ms-teams.exe',
      'blender.exe',
      'Quote "odd" name.exe',
    ]);
    expect(parseTasklistNames(recorded.TASKLIST_DE)).toEqual(['Leerlaufprozess', 'blender.exe']);
    expect(parseTasklistNames(recorded.TASKLIST_NONE)).toEqual([]);
  });

  it('cut a listing at MAX_PROCESS_NAMES', () => {
    expect(parsePsNames('x\n'.repeat(MAX_PROCESS_NAMES + 10))).toHaveLength(MAX_PROCESS_NAMES);
  });
});

describe('temperature and battery answers', () => {
  it('read the hottest GPU from nvidia-smi, and nothing from an unsupported sensor', () => {
    expect(parseNvidiaSmiTemperatures(recorded.NVIDIA_SMI_TWO_GPUS)).toBe(61);
    expect(parseNvidiaSmiTemperatures(recorded.NVIDIA_SMI_NOT_SUPPORTED)).toBeNull();
    expect(parseNvidiaSmiTemperatures('')).toBeNull();
  });

  it('read systeminformation’s “no sensor” and “no battery” as null', () => {
    expect(cpuCelsiusFrom({ main: 47.5, max: 52 })).toBe(47.5);
    expect(cpuCelsiusFrom({ main: null, max: 63 })).toBe(63);
    expect(cpuCelsiusFrom({ main: null, max: null })).toBeNull();
    expect(cpuCelsiusFrom({ main: -1, max: -1 })).toBeNull();
    expect(cpuCelsiusFrom({ main: Number.NaN, max: 400 })).toBeNull();
    expect(onBatteryFrom({ hasBattery: false, acConnected: true })).toBeNull();
    expect(onBatteryFrom({ hasBattery: true, acConnected: false })).toBe(true);
    expect(onBatteryFrom({ hasBattery: true, acConnected: true })).toBe(false);
    expect(onBatteryFrom(undefined)).toBeNull();
  });
});

describe('fuzzed tool output', () => {
  const idleParsers = [parseXprintidle, parseMutterIdletime, parseIoregHidIdleTime, parseWindowsIdleMs];
  /** Garbage, and garbage around the shapes the parsers look for. */
  const toolOutput = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc
      .tuple(fc.string(), fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), fc.string())
      .map(([before, value, after]) =>
        [
          `${before}${value}${after}`,
          `(uint64 ${value},)`,
          `"HIDIdleTime" = ${value}`,
          `IdleSinceHint=${value}`,
        ].join('\n'),
      ),
  );

  it('idle parsers give null or a plausible idle time', () => {
    fc.assert(
      fc.property(toolOutput, (text) => {
        for (const parse of idleParsers) {
          const seconds = parse(text);
          expect(
            seconds === null || (Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_IDLE_SECONDS),
          ).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('logind parsers give well-formed sessions only', () => {
    const logindText = fc
      .tuple(
        fc.array(
          fc.tuple(
            fc.constantFrom('Id', 'Type', 'Class', 'Active', 'IdleHint', 'IdleSinceHint', 'Junk'),
            fc.oneof(
              fc.string({ maxLength: 30 }),
              fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }).map(String),
            ),
          ),
          { maxLength: 30 },
        ),
        fc.constantFrom('\n', '\n\n', '\r\n'),
      )
      .map(([pairs, separator]) => pairs.map(([key, value]) => `${key}=${value}`).join(separator));
    fc.assert(
      fc.property(fc.oneof(toolOutput, logindText), fc.integer({ min: 0, max: 2 ** 45 }), (text, now) => {
        for (const session of parseLoginctlSessions(text, now)) {
          expect(session.id).toMatch(/^[\w-]{1,64}$/);
          const idle = session.idleSeconds;
          expect(idle === null || (idle >= 0 && idle <= MAX_IDLE_SECONDS)).toBe(true);
        }
        for (const id of parseLoginctlSessionIds(text)) expect(id).toMatch(/^[\w-]{1,64}$/);
      }),
      { numRuns: 500 },
    );
  });

  it('process-name and temperature parsers give bounded names and plausible temperatures', () => {
    const csvish = fc
      .array(fc.tuple(fc.string({ maxLength: 40 }), fc.nat()), { maxLength: 20 })
      .map((rows) => rows.map(([name, pid]) => `"${name}","${pid}","Console","1","9 K"`).join('\r\n'));
    fc.assert(
      fc.property(fc.oneof(toolOutput, csvish), (text) => {
        for (const name of [...parsePsNames(text), ...parseTasklistNames(text)]) {
          expect(name.length).toBeGreaterThan(0);
          expect(name.length).toBeLessThanOrEqual(256);
        }
        const celsius = parseNvidiaSmiTemperatures(text);
        expect(celsius === null || (celsius >= 1 && celsius <= 250)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('battery and CPU temperature readings accept any systeminformation answer', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (hasBattery, acConnected, main) => {
        const onBattery = onBatteryFrom({ hasBattery, acConnected } as never);
        expect(onBattery === null || typeof onBattery === 'boolean').toBe(true);
        const celsius = cpuCelsiusFrom({ main, max: main } as never);
        expect(celsius === null || (celsius >= 1 && celsius <= 250)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
