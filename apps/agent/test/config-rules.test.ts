// The owner-rule flags and config keys, the owner's limits, `snooze` and the status line's rules.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RulesState } from '@flock/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  helpText,
  parseCommandLine,
  parseSnoozeMinutes,
  resolveSettings,
} from '../src/config/index.js';
import { formatStatusLine } from '../src/log/index.js';
import { testStore } from './support/store.js';

const base = ['run', '--login', 'demo', '--password', 'pw', '--cache-dir', '/tmp/a'];
const settingsFor = async (argv: string[]) => resolveSettings(parseCommandLine(argv, {}), {});
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('owner rules from flags and the config file', () => {
  it('makes one owner rule per flag, with the default action', async () => {
    const settings = await settingsFor([
      ...base,
      '--idle-only',
      '10',
      '--pause-while-running',
      'blender, steam',
      '--no-battery',
      '--max-temperature',
      '85',
    ]);
    const stop = { type: 'stop-requesting' };
    expect(settings.rules).toEqual([
      { name: 'idle-only', when: { kind: 'user-active', idleMinutes: 10 }, action: stop },
      {
        name: 'pause-while-running',
        when: { kind: 'process-running', names: ['blender', 'steam'] },
        action: stop,
      },
      { name: 'no-battery', when: { kind: 'on-battery' }, action: stop },
      {
        name: 'max-temperature',
        when: { kind: 'temperature-above', sensor: 'cpu', celsius: 85 },
        action: stop,
      },
    ]);
    expect((await settingsFor(base)).rules).toBeUndefined();
  });

  it('reads the same keys from the config file (names as a list too); flags win', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-config-'));
    const file = path.join(dir, 'config.json');
    await writeFile(
      file,
      JSON.stringify({ 'pause-while-running': ['Teams.exe', 'blender'], 'no-battery': true, 'idle-only': 5 }),
    );
    const settings = await settingsFor([...base, '--config', file, '--idle-only', '7']);
    expect(settings.rules?.map((rule) => rule.when)).toEqual([
      { kind: 'user-active', idleMinutes: 7 },
      { kind: 'process-running', names: ['Teams.exe', 'blender'] },
      { kind: 'on-battery' },
    ]);
    await writeFile(file, JSON.stringify({ 'no-battery': false }));
    expect((await settingsFor([...base, '--config', file])).rules).toBeUndefined();
  });

  it.each([
    [[...base, '--idle-only', '0'], 'idle-only'],
    [[...base, '--idle-only', 'ten'], 'idle-only'],
    [[...base, '--idle-only', '100000'], 'idle-only'],
    [[...base, '--pause-while-running', '/usr/bin/blender'], 'pause-while-running'],
    [[...base, '--pause-while-running', 'blender,,steam'], 'pause-while-running'],
    [[...base, '--pause-while-running', 'a;rm -rf ~'], 'pause-while-running'],
    [[...base, '--max-temperature', '5'], 'max-temperature'],
    [[...base, '--max-temperature', '85.5'], 'max-temperature'],
    [[...base, '--no-battery=yes'], 'arguments'],
  ])('refuses %j with a ConfigError naming %s', async (argv, key) => {
    const error = await errorOf(settingsFor(argv));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message.split('\n')).toHaveLength(1);
  });

  it('refuses hostile config values naming the key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-config-'));
    const file = path.join(dir, 'config.json');
    for (const [value, key] of [
      [{ 'no-battery': 'sometimes' }, 'no-battery'],
      [{ 'pause-while-running': [1, 2] }, 'pause-while-running'],
      [{ 'pause-while-running': Array.from({ length: 40 }, (_, i) => `p${i}`) }, 'pause-while-running'],
      [{ 'max-temperature': { celsius: 80 } }, 'max-temperature'],
    ] as const) {
      await writeFile(file, JSON.stringify(value));
      const error = await errorOf(settingsFor([...base, '--config', file]));
      expect((error as ConfigError).key).toBe(key);
    }
  });

  it('any --pause-while-running text is a rule or a ConfigError, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (names) => {
        const result = await settingsFor([...base, `--pause-while-running=${names}`]).then(
          (settings) => settings.rules?.[0]?.when,
          (error: unknown) => error,
        );
        if (result instanceof ConfigError) expect(result.key).toMatch(/^(pause-while-running|arguments)$/);
        else expect(result).toMatchObject({ kind: 'process-running' });
      }),
      { numRuns: 300 },
    );
  });

  it('reports the limits the owner set on the machine', async () => {
    expect((await settingsFor(base)).ownerLimits).toBeUndefined();
    const settings = await settingsFor([
      ...base,
      '--cores',
      '2',
      '--priority',
      '5',
      '--request-time',
      'all day',
    ]);
    expect(settings.ownerLimits).toEqual(['cores', 'priority', 'requestTime']);
  });

  it('documents the flags and snooze in --help', () => {
    const help = helpText();
    for (const flag of [
      '--idle-only',
      '--pause-while-running',
      '--no-battery',
      '--max-temperature',
      'snooze 2h',
    ])
      expect(help).toContain(flag);
  });
});

describe('flock-agent snooze', () => {
  it('reads 2h, 30m, 90 and off', () => {
    expect(parseSnoozeMinutes('2h')).toBe(120);
    expect(parseSnoozeMinutes('30m')).toBe(30);
    expect(parseSnoozeMinutes('90')).toBe(90);
    expect(parseSnoozeMinutes('off')).toBe(0);
    for (const bad of ['', 'soon', '-1', '2d', '1e3', '999999h', '2.5h'])
      expect(() => parseSnoozeMinutes(bad)).toThrow(ConfigError);
    expect(parseCommandLine(['snooze', '2h'], {}).args).toEqual(['2h']);
    expect(() => parseCommandLine(['snooze'], {})).toThrow(/usage: snooze/);
  });
});

describe('the status line', () => {
  it('shows the rules in force beside a frame, and a snooze', () => {
    const store = testStore();
    const rules: RulesState = {
      owner: [],
      console: [],
      snoozedUntil: null,
      active: [
        {
          rule: 'busy',
          source: 'owner',
          action: { type: 'limit-cores', cores: 2 },
          message: 'CPU busy',
          until: null,
        },
      ],
      facts: null,
      unavailable: [],
    };
    store.update({ rules });
    expect(formatStatusLine(store.snapshot(), Date.now(), 400)).toContain(
      "rules: limited to 2 cores: CPU busy (rule 'busy', set on the machine)",
    );
    store.update({ rules: { ...rules, active: [], snoozedUntil: Date.now() + 3_600_000 } });
    expect(formatStatusLine(store.snapshot(), Date.now(), 400)).toMatch(/rules snoozed until /);
  });
});
