import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ControlCommandSchema,
  describeActiveRule,
  evaluateRules,
  type MachineFacts,
  MachineFactsSchema,
  normalizeProcessName,
  type Rule,
  RuleSchema,
  RulesSchema,
  ruleKey,
  watchedProcessNames,
} from '../src';

/** 2026-01-05 is a Monday. */
const MONDAY_10H_UTC = Date.UTC(2026, 0, 5, 10, 0);

const facts = (over: Partial<MachineFacts> = {}): MachineFacts => ({
  at: MONDAY_10H_UTC,
  session: 'desktop',
  userIdleSeconds: 3600,
  onBattery: false,
  cpuCelsius: 50,
  gpuCelsius: null,
  ownerCpuPercent: 5,
  runningWatched: [],
  timeZone: 'UTC',
  ...over,
});

const rule = (
  when: Rule['when'],
  action: Rule['action'] = { type: 'stop-requesting' },
  name = 'r',
): Rule => ({
  name,
  when,
  action,
});

function evaluate(
  rules: Rule[],
  over: Partial<MachineFacts> = {},
  extra: { snoozedUntil?: number; heldBefore?: Set<string> } = {},
) {
  return evaluateRules({ owner: [], console: rules, facts: facts(over), now: MONDAY_10H_UTC, ...extra });
}

describe('rule conditions', () => {
  it('user-active holds while the desktop was used within the idle minutes, and says when it lifts at the earliest', () => {
    const rules = [rule({ kind: 'user-active', idleMinutes: 10 })];
    const outcome = evaluate(rules, { userIdleSeconds: 120 });
    expect(outcome.active).toHaveLength(1);
    expect(outcome.active[0]?.until).toBe(MONDAY_10H_UTC + 480_000);
    expect(outcome.active[0]?.message).toContain('idle 2 min of the 10 min needed');
    expect(outcome.effect).toEqual({ requesting: false, pauseNow: false, coreLimit: null });
    expect(evaluate(rules, { userIdleSeconds: 600 }).active).toEqual([]);
  });

  it('a headless machine is always idle; an unreadable desktop is named unavailable, not an error', () => {
    const rules = [rule({ kind: 'user-active', idleMinutes: 10 })];
    expect(evaluate(rules, { session: 'headless', userIdleSeconds: null }).active).toEqual([]);
    expect(evaluate(rules, { session: 'headless', userIdleSeconds: null }).unavailable).toEqual([]);
    const unknown = evaluate(rules, { session: 'desktop', userIdleSeconds: null });
    expect(unknown.active).toEqual([]);
    expect(unknown.unavailable).toEqual(['user-idle']);
  });

  it('process-running matches names without case and without .exe', () => {
    const rules = [rule({ kind: 'process-running', names: ['Teams.exe', 'blender'] })];
    const outcome = evaluate(rules, { runningWatched: ['teams'] });
    expect(outcome.active[0]?.message).toBe('`Teams.exe` is running');
    expect(evaluate(rules, { runningWatched: ['TEAMS.EXE', 'Blender'] }).active[0]?.message).toBe(
      '`Teams.exe`, `blender` are running',
    );
    expect(evaluate(rules, { runningWatched: ['blender-launcher'] }).active).toEqual([]);
    expect(watchedProcessNames(rules)).toEqual(['Teams.exe', 'blender']);
    expect(normalizeProcessName(' Steam.EXE ')).toBe('steam');
  });

  it('on-battery holds on battery and is unavailable on a machine with none', () => {
    const rules = [rule({ kind: 'on-battery' }, { type: 'pause-now' })];
    expect(evaluate(rules, { onBattery: true }).effect.pauseNow).toBe(true);
    expect(evaluate(rules, { onBattery: false }).active).toEqual([]);
    expect(evaluate(rules, { onBattery: null }).unavailable).toEqual(['battery']);
  });

  it('temperature-above lifts only 5 °C below its limit once it held', () => {
    const rules = [rule({ kind: 'temperature-above', sensor: 'cpu', celsius: 85 })];
    expect(evaluate(rules, { cpuCelsius: 86 }).active).toHaveLength(1);
    expect(evaluate(rules, { cpuCelsius: 83 }).active).toEqual([]);
    const held = new Set([ruleKey('console', 'r')]);
    expect(evaluate(rules, { cpuCelsius: 83 }, { heldBefore: held }).active[0]?.message).toBe(
      'CPU at 83 °C (limit 85 °C)',
    );
    expect(evaluate(rules, { cpuCelsius: 80 }, { heldBefore: held }).active).toEqual([]);
    expect(evaluate([rule({ kind: 'temperature-above', sensor: 'gpu', celsius: 85 })]).unavailable).toEqual([
      'gpu-temperature',
    ]);
  });

  it('owner-cpu-above lifts 10 points below its limit once it held', () => {
    const rules = [rule({ kind: 'owner-cpu-above', percent: 50 })];
    expect(evaluate(rules, { ownerCpuPercent: 51 }).active).toHaveLength(1);
    expect(evaluate(rules, { ownerCpuPercent: 45 }).active).toEqual([]);
    const held = new Set([ruleKey('console', 'r')]);
    expect(evaluate(rules, { ownerCpuPercent: 45 }, { heldBefore: held }).active).toHaveLength(1);
    expect(evaluate(rules, { ownerCpuPercent: null }).unavailable).toEqual(['owner-cpu']);
  });

  it("time-window holds within the window in the machine's zone and lifts at its end", () => {
    const rules = [
      rule({ kind: 'time-window', window: 'mon-fri 09:00-18:00' }, { type: 'limit-cores', cores: 2 }),
    ];
    const outcome = evaluate(rules);
    expect(outcome.effect.coreLimit).toBe(2);
    expect(outcome.active[0]?.until).toBe(Date.UTC(2026, 0, 5, 18, 0));
    // 10:00 UTC is 19:00 in Tokyo: outside the window there.
    expect(evaluate(rules, { timeZone: 'Asia/Tokyo' }).active).toEqual([]);
  });
});

describe('combining rules', () => {
  it('pause now beats stop requesting, the lowest core limit wins, owner and console rules both hold', () => {
    const outcome = evaluateRules({
      owner: [rule({ kind: 'on-battery' }, { type: 'limit-cores', cores: 4 }, 'battery')],
      console: [
        rule({ kind: 'on-battery' }, { type: 'limit-cores', cores: 2 }, 'two'),
        rule({ kind: 'on-battery' }, { type: 'stop-requesting' }, 'stop'),
        rule({ kind: 'on-battery' }, { type: 'pause-now' }, 'pause'),
      ],
      facts: facts({ onBattery: true }),
      now: MONDAY_10H_UTC,
    });
    expect(outcome.effect).toEqual({ requesting: false, pauseNow: true, coreLimit: 2 });
    expect(outcome.active.map((active) => active.source)).toEqual(['owner', 'console', 'console', 'console']);
    const [battery, , , pause] = outcome.active;
    if (!battery || !pause) throw new Error('expected four active rules');
    expect(describeActiveRule(battery)).toBe(
      "limited to 4 cores: on battery (rule 'battery', set on the machine)",
    );
    expect(describeActiveRule(pause)).toBe("paused: on battery (rule 'pause')");
  });

  it('a snooze keeps what holds but puts no rule in force until it ends', () => {
    const rules = [rule({ kind: 'on-battery' })];
    const snoozed = evaluate(rules, { onBattery: true }, { snoozedUntil: MONDAY_10H_UTC + 1 });
    expect(snoozed.holding).toHaveLength(1);
    expect(snoozed.active).toEqual([]);
    expect(snoozed.effect.requesting).toBe(true);
    expect(evaluate(rules, { onBattery: true }, { snoozedUntil: MONDAY_10H_UTC }).active).toHaveLength(1);
  });
});

describe('rule schemas refuse bad input and name the field', () => {
  const problem = (input: unknown) => {
    const parsed = RulesSchema.safeParse(input);
    return parsed.success
      ? null
      : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('refuses bad windows, process paths, temperatures and duplicate names', () => {
    expect(problem([{ name: 'w', when: { kind: 'time-window', window: 'mon 25:00-26:00' } }])?.[0]).toMatch(
      /^0\.when\.window: invalid request-time window/,
    );
    expect(
      problem([{ name: 'p', when: { kind: 'process-running', names: ['/usr/bin/blender'] } }])?.[0],
    ).toMatch(/^0\.when\.names\.0: a process name has/);
    expect(
      problem([{ name: 't', when: { kind: 'temperature-above', sensor: 'cpu', celsius: 500 } }])?.[0],
    ).toMatch(/^0\.when\.celsius/);
    expect(
      problem([
        { name: 'Same', when: { kind: 'on-battery' } },
        { name: 'same', when: { kind: 'on-battery' } },
      ]),
    ).toEqual(['1.name: two rules are named "same"']);
  });

  it('defaults the action to stop requesting', () => {
    expect(RuleSchema.parse({ name: 'x', when: { kind: 'on-battery' } }).action).toEqual({
      type: 'stop-requesting',
    });
  });

  it('has set-rules and snooze-rules commands with bounded values', () => {
    expect(ControlCommandSchema.safeParse({ type: 'snooze-rules', minutes: 120 }).success).toBe(true);
    expect(ControlCommandSchema.safeParse({ type: 'snooze-rules', minutes: -1 }).success).toBe(false);
    expect(ControlCommandSchema.safeParse({ type: 'set-rules', rules: [] }).success).toBe(true);
  });

  it('never throws on hostile input, and every rule set it accepts evaluates without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        RulesSchema.safeParse(value);
        RulesSchema.safeParse([value]);
        MachineFactsSchema.safeParse(value);
      }),
      { numRuns: 500 },
    );
    const condition = fc.oneof(
      fc.record({
        kind: fc.constant('user-active' as const),
        idleMinutes: fc.integer({ min: 1, max: 1440 }),
      }),
      fc.record({ kind: fc.constant('on-battery' as const) }),
      fc.record({
        kind: fc.constant('temperature-above' as const),
        sensor: fc.constantFrom('cpu' as const, 'gpu' as const),
        celsius: fc.integer({ min: 20, max: 150 }),
      }),
      fc.record({ kind: fc.constant('owner-cpu-above' as const), percent: fc.integer({ min: 1, max: 100 }) }),
      fc.record({
        kind: fc.constant('process-running' as const),
        names: fc.array(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        kind: fc.constant('time-window' as const),
        window: fc.constantFrom('always', 'mon-fri 22:00-06:00'),
      }),
    );
    const factsArbitrary = fc.record({
      at: fc.nat(),
      session: fc.constantFrom('desktop' as const, 'headless' as const, 'unknown' as const),
      userIdleSeconds: fc.option(fc.integer({ min: 0, max: 10 ** 7 })),
      onBattery: fc.option(fc.boolean()),
      cpuCelsius: fc.option(fc.integer({ min: -50, max: 250 })),
      gpuCelsius: fc.option(fc.integer({ min: -50, max: 250 })),
      ownerCpuPercent: fc.option(fc.integer({ min: 0, max: 100 })),
      runningWatched: fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 4 }),
      timeZone: fc.constantFrom(null, 'UTC', 'Pacific/Chatham'),
    });
    fc.assert(
      fc.property(
        fc.array(condition, { maxLength: 6 }),
        factsArbitrary,
        fc.nat({ max: 2 ** 42 }),
        (conditions, read, now) => {
          const rules = RulesSchema.parse(conditions.map((when, index) => ({ name: `rule ${index}`, when })));
          const outcome = evaluateRules({ owner: [], console: rules, facts: read, now });
          expect(outcome.active.length).toBeLessThanOrEqual(rules.length);
          if (outcome.effect.pauseNow) expect(outcome.effect.requesting).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
