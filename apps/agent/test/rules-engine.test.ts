// The rules engine against injected facts and the manual clock: each condition's outcome, how often
// the machine is read (never without rules), changes announced only when the outcome changes.
import type { Rule, RulesOutcome } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { formatEntryLine, Logger } from '../src/log/index.js';
import { FAST_READ_MS, RulesEngine, SLOW_READ_MS } from '../src/rules/engine.js';
import { type FakeFactsReader, fakeFactsReader } from '../src/rules/facts-reader.js';

const stop = (name: string, when: Rule['when']): Rule => ({
  name,
  when,
  action: { type: 'stop-requesting' },
});
const engines: RulesEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});

function setUp(owner: Rule[], consoleRules: Rule[] = [], facts: Parameters<typeof fakeFactsReader>[1] = {}) {
  const clock = new ManualClock();
  const log = new Logger(clock);
  const lines: string[] = [];
  log.onEntry((entry) => lines.push(formatEntryLine(entry, 'text')));
  const reader: FakeFactsReader = fakeFactsReader(() => clock.now(), facts);
  const engine = new RulesEngine({ clock, log, reader, owner, console: consoleRules });
  engines.push(engine);
  const changes: RulesOutcome[] = [];
  engine.on('change', (outcome) => changes.push(outcome));
  return { clock, reader, engine, changes, lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RulesEngine', () => {
  it('reads nothing at all while there are no rules', async () => {
    const { clock, reader, engine } = setUp([]);
    await engine.start();
    await clock.advance(60 * 60_000);
    expect(reader.reads).toBe(0);
    expect(engine.effect.requesting).toBe(true);
    expect(engine.state).toMatchObject({ owner: [], console: [], active: [], facts: null });
  });

  it('reads every 2 s with a process rule, every 10 s with only slow ones', async () => {
    const fast = setUp([stop('own blender', { kind: 'process-running', names: ['blender'] })]);
    await fast.engine.start();
    await fast.clock.advance(60_000);
    expect(fast.reader.reads).toBe(1 + 60_000 / FAST_READ_MS);
    const slow = setUp([stop('battery', { kind: 'on-battery' })]);
    await slow.engine.start();
    await slow.clock.advance(60_000);
    expect(slow.reader.reads).toBe(1 + 60_000 / SLOW_READ_MS);
  });

  it('a watched process stops requests while it runs, announced once each way', async () => {
    const { clock, reader, engine, changes } = setUp([
      stop('own blender', { kind: 'process-running', names: ['blender'] }),
    ]);
    await engine.start();
    expect(changes).toHaveLength(0);
    reader.set({ runningWatched: ['blender'] });
    await clock.advance(10_000);
    expect(changes).toHaveLength(1);
    expect(engine.effect).toEqual({ requesting: false, pauseNow: false, coreLimit: null });
    expect(engine.active).toEqual([
      expect.objectContaining({ rule: 'own blender', source: 'owner', message: '`blender` is running' }),
    ]);
    reader.set({ runningWatched: [] });
    await clock.advance(FAST_READ_MS);
    expect(changes).toHaveLength(2);
    expect(engine.effect.requesting).toBe(true);
  });

  it('user idle: holds while the desktop user is active, with when it lifts; headless is always idle', async () => {
    const idleRule = stop('idle only', { kind: 'user-active', idleMinutes: 10 });
    const desk = setUp([idleRule], [], { session: 'desktop', userIdleSeconds: 120 });
    await desk.engine.start();
    expect(desk.engine.effect.requesting).toBe(false);
    const until = desk.engine.active[0]?.until ?? 0;
    expect(until).toBeGreaterThanOrEqual(desk.clock.now() + 8 * 60_000);
    expect(until).toBeLessThanOrEqual(desk.clock.now() + 8 * 60_000 + 10_000);
    desk.reader.set({ userIdleSeconds: 600 });
    await desk.clock.advance(FAST_READ_MS);
    expect(desk.engine.effect.requesting).toBe(true);
    const headless = setUp([idleRule], [], { session: 'headless', userIdleSeconds: null });
    await headless.engine.start();
    expect(headless.engine.effect.requesting).toBe(true);
    expect(headless.engine.state.unavailable).toEqual([]);
  });

  it('temperature: holds above the limit and lifts 5 °C below it (no flapping)', async () => {
    const { clock, reader, engine, changes } = setUp(
      [stop('cool', { kind: 'temperature-above', sensor: 'cpu', celsius: 80 })],
      [],
      { cpuCelsius: 70 },
    );
    await engine.start();
    reader.set({ cpuCelsius: 85 });
    await clock.advance(SLOW_READ_MS);
    expect(engine.effect.requesting).toBe(false);
    reader.set({ cpuCelsius: 78 });
    await clock.advance(SLOW_READ_MS);
    expect(engine.effect.requesting).toBe(false);
    reader.set({ cpuCelsius: 74 });
    await clock.advance(SLOW_READ_MS);
    expect(engine.effect.requesting).toBe(true);
    // held at 85 °C, the reason's reading at 78 °C, lifted at 74 °C
    expect(changes.map((change) => change.effect.requesting)).toEqual([false, false, true]);
  });

  it('battery, owner CPU and limit cores combine: pause now wins, the lowest core limit wins', async () => {
    const { engine, reader, clock } = setUp(
      [
        {
          name: 'two',
          when: { kind: 'owner-cpu-above', percent: 30 },
          action: { type: 'limit-cores', cores: 2 },
        },
        {
          name: 'four',
          when: { kind: 'owner-cpu-above', percent: 10 },
          action: { type: 'limit-cores', cores: 4 },
        },
      ],
      [{ name: 'battery', when: { kind: 'on-battery' }, action: { type: 'pause-now' } }],
      { ownerCpuPercent: 50, onBattery: false },
    );
    await engine.start();
    expect(engine.effect).toEqual({ requesting: true, pauseNow: false, coreLimit: 2 });
    reader.set({ onBattery: true });
    await clock.advance(FAST_READ_MS);
    expect(engine.effect).toEqual({ requesting: false, pauseNow: true, coreLimit: 2 });
  });

  it('an unreadable fact is listed as unavailable, and the rule never holds', async () => {
    const { clock, engine } = setUp([stop('battery', { kind: 'on-battery' })]);
    await engine.start();
    await clock.advance(10 * 60_000);
    expect(engine.state.unavailable).toEqual(['battery']);
    expect(engine.effect.requesting).toBe(true);
  });

  it('a failing reader is said once; the last facts stay in force', async () => {
    const { clock, reader, engine, lines } = setUp(
      [stop('b', { kind: 'process-running', names: ['blender'] })],
      [],
      {
        runningWatched: ['blender'],
      },
    );
    await engine.start();
    reader.read = () => Promise.reject(new Error('ps failed'));
    await clock.advance(60_000);
    expect(engine.effect.requesting).toBe(false);
    expect(lines.filter((line) => line.includes('cannot read the machine'))).toHaveLength(1);
  });

  it("the console's rules and a snooze apply at once; the snooze ends by itself", async () => {
    const { clock, engine, changes } = setUp([], [], { onBattery: true });
    await engine.start();
    await engine.setConsoleRules([stop('battery', { kind: 'on-battery' })]);
    expect(engine.effect.requesting).toBe(false);
    expect(engine.state.console).toHaveLength(1);
    await engine.snooze(clock.now() + 30 * 60_000);
    expect(engine.effect.requesting).toBe(true);
    expect(engine.state.snoozedUntil).toBe(clock.now() + 30 * 60_000);
    await clock.advance(30 * 60_000);
    await flush();
    expect(engine.effect.requesting).toBe(false);
    expect(engine.state.snoozedUntil).toBeNull();
    expect(changes).toHaveLength(3);
  });
});
