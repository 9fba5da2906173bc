// Owner rules acting on the farm loop, against the real sandbox farm with injected facts and the
// manual clock: job requests counted at the farm, the frame in progress, the reason, the cores.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorType, type Rule } from '@flock/protocol';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { createBlenderRenderPort } from '../src/farm/render-adapter.js';
import { FAST_READ_MS, SLOW_READ_MS } from '../src/rules/engine.js';
import { fakeFactsReader } from '../src/rules/facts-reader.js';
import {
  cleanUp,
  doneFrames,
  MACHINE,
  syntheticProject,
  tempDir,
  testAgent,
  testFarm,
  until,
} from './e2e-helpers.js';

afterEach(cleanUp, 30_000);
vi.setConfig({ testTimeout: 60_000 });

const HOUR = 60 * 60_000;
const requests = (farm: RunningFarm) => farm.jobRequests().length;

async function setUp(rules: Rule[], facts: Parameters<typeof fakeFactsReader>[1], renderMs = 60_000) {
  const farm = await testFarm();
  const project = await syntheticProject(farm, 20, { synthetic: { renderMs } });
  const clock = new ManualClock(Date.now());
  const reader = fakeFactsReader(() => clock.now(), facts);
  const renderCores: (number | null)[] = [];
  const blender = createBlenderRenderPort({ clock, gpus: MACHINE.gpus });
  const t = await testAgent(farm, {
    clock,
    factsReader: reader,
    render: (request) => {
      renderCores.push(request.limits.cores);
      return blender(request);
    },
    beforeRun: async (agent) => {
      expect(await agent.execute({ type: 'set-rules', rules })).toMatchObject({ ok: true });
    },
  });
  /** Moves the clock on while the agent sleeps until `condition` holds. */
  const waitFor = (condition: () => boolean, what: string, stepMs = 5_000) =>
    until(condition, { clock, stepMs, what, lines: t.lines });
  return { farm, project, clock, reader, t, renderCores, waitFor };
}

describe('owner rules in the farm loop', () => {
  it('stop requesting: the frame in progress and its upload finish, no request while it holds, at once after', async () => {
    const { farm, project, clock, reader, t, waitFor } = await setUp(
      [
        {
          name: 'own blender',
          when: { kind: 'process-running', names: ['blender'] },
          action: { type: 'stop-requesting' },
        },
      ],
      { runningWatched: [] },
      1500, // real milliseconds: the synthetic renderer sleeps
    );
    await waitFor(() => t.agent.store.state.job?.phase === 'render', 'rendering');
    reader.set({ runningWatched: ['blender'] });
    await clock.advance(FAST_READ_MS);
    await waitFor(() => doneFrames(farm, project.id) === 1, 'the frame in progress uploaded');
    await waitFor(() => t.agent.store.state.reason?.code === 'rule', 'the rule as the reason');
    const held = requests(farm);
    const heldAt = clock.now();
    await waitFor(() => clock.now() >= heldAt + HOUR, 'an hour under the rule', 60_000);
    expect(requests(farm)).toBe(held);
    expect(t.agent.store.state.reason).toEqual({
      code: 'rule',
      message: "asking for no new job: `blender` is running (rule 'own blender')",
      until: null,
    });
    expect(t.agent.store.state.status).toBe('idle');
    expect(t.agent.store.state.rules?.active).toEqual([expect.objectContaining({ rule: 'own blender' })]);

    reader.set({ runningWatched: [] });
    await clock.advance(FAST_READ_MS); // the engine's next reading; nothing else moves the clock
    await until(() => requests(farm) > held, { what: 'a request right after the lift', lines: t.lines });
    expect(t.agent.store.state.rules?.active).toEqual([]);
  });

  it('pause now: the frame stops as a user pause does, nothing is asked while it holds, it resumes by itself', async () => {
    const { farm, project, clock, reader, t, waitFor } = await setUp(
      [{ name: 'battery', when: { kind: 'on-battery' }, action: { type: 'pause-now' } }],
      { onBattery: false },
      HOUR,
    );
    await waitFor(() => t.agent.store.state.job?.phase === 'render', 'rendering');
    reader.set({ onBattery: true });
    await clock.advance(SLOW_READ_MS);
    await waitFor(
      () => farm.errorReports().some((report) => report.type === ErrorType.RENDERER_KILLED_BY_USER),
      'the frame stopped and reported',
    );
    await waitFor(() => t.agent.store.state.reason?.code === 'rule', 'the rule as the reason');
    expect(t.agent.store.state.reason?.message).toBe("paused: on battery (rule 'battery')");
    expect(t.agent.controls.paused).toBe(false); // not the user's pause: it lifts with the rule
    const held = requests(farm);
    const heldAt = clock.now();
    await waitFor(() => clock.now() >= heldAt + HOUR, 'an hour on battery', 60_000);
    expect(requests(farm)).toBe(held);
    expect(doneFrames(farm, project.id)).toBe(0);

    reader.set({ onBattery: false });
    await clock.advance(SLOW_READ_MS);
    await until(() => requests(farm) > held, { what: 'a request after the lift', lines: t.lines });
    // (the farm keeps a project stopped by its user away from that session: the answer is "no job")
    expect(t.agent.store.state.reason?.code).not.toBe('rule');
  });

  it('limit cores: the next job asks for and renders with min(limit, cores); all cores again once it lifts', async () => {
    const { farm, project, clock, reader, t, renderCores, waitFor } = await setUp(
      [
        {
          name: 'busy owner',
          when: { kind: 'owner-cpu-above', percent: 30 },
          action: { type: 'limit-cores', cores: 2 },
        },
      ],
      { ownerCpuPercent: 80 },
      1000,
    );
    await waitFor(() => doneFrames(farm, project.id) >= 1, 'a frame under the limit');
    expect(farm.jobRequests()[0]?.cores).toBe(2);
    expect(renderCores[0]).toBe(2);
    expect(t.agent.store.state.reason).toBeNull(); // a core limit does not stop requests
    reader.set({ ownerCpuPercent: 0 });
    await clock.advance(FAST_READ_MS);
    const before = renderCores.length;
    await waitFor(() => renderCores.length > before + 1, 'frames after the lift');
    expect(renderCores.at(-1)).toBeNull();
    expect(farm.jobRequests().at(-1)?.cores).toBe(MACHINE.cpu.cores);
  });
});

describe('a rule arriving during a back-off', () => {
  it('is the reason at once; the back-off keeps its time', async () => {
    const farm = await testFarm(); // no project: "no job", a back-off of minutes
    const clock = new ManualClock(Date.now());
    const reader = fakeFactsReader(() => clock.now(), { onBattery: true });
    const t = await testAgent(farm, { clock, factsReader: reader });
    await until(() => t.agent.store.state.reason?.code === 'no-job', { what: 'no job', lines: t.lines });
    const held = requests(farm);
    const rules: Rule[] = [
      { name: 'battery', when: { kind: 'on-battery' }, action: { type: 'stop-requesting' } },
    ];
    expect(await t.agent.execute({ type: 'set-rules', rules })).toMatchObject({ ok: true });
    expect(t.agent.store.state.reason).toMatchObject({
      code: 'rule',
      message: expect.stringMatching(/on battery/),
    });
    expect(requests(farm)).toBe(held);
    await t.agent.execute({ type: 'set-rules', rules: [] });
    expect(t.agent.store.state.reason?.code).toBe('no-job'); // the back-off, not a request
    expect(requests(farm)).toBe(held);
  });
});

describe('set-rules and snooze-rules', () => {
  it('a bad rule set is refused naming the field, and the previous rules stay', async () => {
    const farm = await testFarm();
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock, start: false, factsReader: fakeFactsReader(() => clock.now()) });
    const good: Rule[] = [
      { name: 'battery', when: { kind: 'on-battery' }, action: { type: 'stop-requesting' } },
    ];
    expect(await t.agent.execute({ type: 'set-rules', rules: good })).toMatchObject({ ok: true });
    const hostile: [unknown, RegExp][] = [
      [[{ name: 'idle', when: { kind: 'user-active', idleMinutes: 0 } }], /^rules\.0\.when\.idleMinutes: /],
      [
        [{ name: 'p', when: { kind: 'process-running', names: ['/usr/bin/blender'] } }],
        /^rules\.0\.when\.names\.0: .*no path/,
      ],
      [[{ name: 'hot', when: { kind: 'temperature-above', sensor: 'cpu', celsius: 1e9 } }], /celsius/],
      [
        [{ name: 'w', when: { kind: 'time-window', window: 'someday 25:00-26:00' } }],
        /^rules\.0\.when\.window: /,
      ],
      [[good[0], { ...good[0], name: 'BATTERY' }], /^rules\.1\.name: two rules are named/],
      [[{ name: '', when: { kind: 'on-battery' } }], /^rules\.0\.name: /],
      [Array.from({ length: 33 }, (_, i) => ({ name: `r${i}`, when: { kind: 'on-battery' } })), /^rules: /],
      ['not a list', /^rules: /],
    ];
    for (const [rules, message] of hostile) {
      const result = await t.agent.execute({ type: 'set-rules', rules } as never);
      expect(result).toMatchObject({
        ok: false,
        reason: 'malformed',
        message: expect.stringMatching(message),
      });
    }
    for (const minutes of [-1, 1.5, 8 * 24 * 60, '60']) {
      const result = await t.agent.execute({ type: 'snooze-rules', minutes } as never);
      expect(result).toMatchObject({
        ok: false,
        reason: 'malformed',
        message: expect.stringMatching(/^minutes: /),
      });
    }
    expect(t.agent.store.state.rules?.console).toEqual(good);
  });

  it("the console's rules and the snooze survive a restart; a damaged file means none", async () => {
    const farm = await testFarm();
    const clock = new ManualClock(Date.now());
    const cacheDir = await tempDir('agent');
    const reader = fakeFactsReader(() => clock.now(), { onBattery: true });
    const first = await testAgent(farm, { clock, cacheDir, factsReader: reader });
    const rules: Rule[] = [
      { name: 'battery', when: { kind: 'on-battery' }, action: { type: 'stop-requesting' } },
    ];
    await first.agent.execute({ type: 'set-rules', rules });
    expect(await first.agent.execute({ type: 'snooze-rules', minutes: 120 })).toMatchObject({ ok: true });
    const snoozedUntil = clock.now() + 120 * 60_000;
    await first.agent.execute({ type: 'stop', when: 'now' });
    expect(await first.run).toBe(0);

    const second = await testAgent(farm, { clock, cacheDir, factsReader: reader });
    expect(second.agent.store.state.rules).toMatchObject({ console: rules, snoozedUntil });
    await second.agent.execute({ type: 'stop', when: 'now' });
    expect(await second.run).toBe(0);
    await writeFile(
      path.join(cacheDir, 'rules.json'),
      '{"console":[{"name":"x","when":{"kind":"nope"}}],"snoozedUntil":1}',
    );
    const third = await testAgent(farm, { clock, cacheDir, factsReader: reader });
    expect(third.agent.store.state.rules).toMatchObject({ console: [], snoozedUntil: null });
    expect(third.lines.join('\n')).toMatch(/rules file holds invalid rules/);
  });

  it('a snooze lets requests through until it ends, then the rule holds again', async () => {
    const { farm, clock, t, waitFor } = await setUp(
      [{ name: 'battery', when: { kind: 'on-battery' }, action: { type: 'stop-requesting' } }],
      { onBattery: true },
      1000,
    );
    await waitFor(() => t.agent.store.state.reason?.code === 'rule', 'the rule as the reason');
    expect(requests(farm)).toBe(0);
    await t.agent.execute({ type: 'snooze-rules', minutes: 60 });
    await waitFor(() => requests(farm) > 0, 'requests while snoozed');
    const snoozedAt = clock.now();
    await waitFor(() => clock.now() >= snoozedAt + HOUR, 'the snooze to end', 60_000);
    await waitFor(() => t.agent.store.state.reason?.code === 'rule', 'the rule again');
    const held = requests(farm);
    await clock.advance(HOUR);
    expect(requests(farm)).toBe(held);
  });
});
