// Profiles end to end: a real console over HTTP on a real SQLite file, simulated agents that speak
// rules (support/rules-agent.ts) paired through the real API, users of each role calling the
// procedures the browser calls.
import type { ControlCommand, Rule } from '@flock/protocol';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeIssues, ProfileInputSchema } from '../src/lib/profiles';
import type { RunningConsole } from '../src/server/start';
import { call, dataOf, pairSimulatedAgent, startTestConsole } from './support/console';
import { sessionsByRole } from './support/roles';
import { speakRules, testFacts } from './support/rules-agent';

let running: RunningConsole | undefined;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await running?.stop();
  running = undefined;
});

const errorOf = (body: unknown) => (body as { error: { message: string; data: { code: string } } }).error;

const NOT_WHILE_BLENDER: Rule = {
  name: 'my own Blender',
  when: { kind: 'process-running', names: ['blender'] },
  action: { type: 'pause-now' },
};
const HOT: Rule = {
  name: 'hot',
  when: { kind: 'temperature-above', sensor: 'cpu', celsius: 80 },
  action: { type: 'limit-cores', cores: 2 },
};
const OFFICE = { name: 'office', limits: { cores: 4, priority: 10 }, rules: [NOT_WHILE_BLENDER, HOT] };

async function fleetOfThree() {
  running = await startTestConsole({ ackWaitMs: 2_000 });
  const r = running;
  const sessions = await sessionsByRole(r);
  const machines = [];
  for (const name of ['desk-01', 'desk-02', 'desk-03']) {
    const paired = await pairSimulatedAgent(r, sessions.admin, name);
    speakRules(paired.agent);
    stops.push(() => paired.client.stop());
    machines.push(paired);
  }
  const as = (cookie: string) => ({
    query: (path: string, input?: unknown) => call(r, 'query', path, input, { cookie }),
    mutate: (path: string, input?: unknown) => call(r, 'mutation', path, input, { cookie }),
  });
  // The console has every machine's state (with its rules) before a test reads it.
  await vi.waitFor(async () => {
    const list = dataOf<{ machines: { online: boolean }[] }>(
      (await as(sessions.viewer).query('fleet.list')).body,
    );
    expect(list.machines.filter((m) => m.online)).toHaveLength(3);
  });
  const ids = machines.map((m) => m.machineId);
  const createOffice = async () => {
    const created = await as(sessions.operator).mutate('profiles.create', OFFICE);
    expect(created.status).toBe(200);
    return dataOf<{ id: number }>(created.body).id;
  };
  const seenByConsole = (predicate: (state: Record<string, unknown>) => boolean, id: string) =>
    vi.waitFor(async () => {
      const got = dataOf<{ state: Record<string, unknown> }>(
        (await as(sessions.viewer).query('machines.get', { id })).body,
      );
      expect(predicate(got.state)).toBe(true);
    });
  return { r, sessions, machines, ids, as, createOffice, seenByConsole };
}

const commandsOf = (agent: { executed: ControlCommand[] }, type: ControlCommand['type']) =>
  agent.executed.filter((command) => command.type === type);

describe('profiles', () => {
  it('viewers read profiles and previews; operators create, assign and apply; every change is audited', async () => {
    const { sessions, ids, as, createOffice } = await fleetOfThree();
    const refused = await as(sessions.viewer).mutate('profiles.create', OFFICE);
    expect([refused.status, errorOf(refused.body).data.code]).toEqual([403, 'FORBIDDEN']);
    const id = await createOffice();
    for (const [path, input] of [
      ['profiles.update', { id, ...OFFICE, name: 'renamed' }],
      ['profiles.assign', { profileId: id, machineIds: ids, tags: [] }],
      ['profiles.send', { profileId: id, machineIds: ids }],
      ['profiles.setOverrides', { id: ids[0], limits: { cores: 1 }, rules: [] }],
      ['profiles.remove', { id }],
    ] as const) {
      const answer = await as(sessions.viewer).mutate(path, input);
      expect([path, answer.status]).toEqual([path, 403]);
    }
    expect((await as(sessions.viewer).query('profiles.list')).status).toBe(200);
    expect((await as(sessions.viewer).query('profiles.preview', { profileId: id })).status).toBe(200);

    await as(sessions.operator).mutate('profiles.assign', { profileId: id, machineIds: ids, tags: [] });
    const trail = dataOf<{ action: string; username: string }[]>(
      (await as(sessions.admin).query('audit.list', {})).body,
    );
    expect(trail.map((e) => `${e.username} ${e.action}`)).toEqual(
      expect.arrayContaining(['operator profiles.create', 'operator profiles.assign']),
    );
  });

  it('refuses a bad rule, a duplicate rule name, a machine-specific limit and a taken name, naming the field', async () => {
    const { sessions, as, createOffice } = await fleetOfThree();
    const operator = as(sessions.operator);
    const tooHot = await operator.mutate('profiles.create', {
      ...OFFICE,
      name: 'too hot',
      rules: [NOT_WHILE_BLENDER, { ...HOT, when: { ...HOT.when, celsius: 400 } }],
    });
    expect(tooHot.status).toBe(400);
    expect(errorOf(tooHot.body).message).toMatch(/^rules\[2\] \('hot'\)\.when\.celsius: /);
    const twice = await operator.mutate('profiles.create', { ...OFFICE, name: 'twice', rules: [HOT, HOT] });
    expect(errorOf(twice.body).message).toContain(`rules[2] ('hot').name: two rules are named "hot"`);
    const path = await operator.mutate('profiles.create', {
      ...OFFICE,
      name: 'path',
      rules: [{ ...NOT_WHILE_BLENDER, when: { kind: 'process-running', names: ['/usr/bin/blender'] } }],
    });
    expect(errorOf(path.body).message).toMatch(
      /^rules\[1\] \('my own Blender'\)\.when\.names\[1\]: .*no path/,
    );
    const gpu = await operator.mutate('profiles.create', {
      ...OFFICE,
      name: 'gpu',
      limits: { gpu: 'CUDA_0' },
    });
    expect(errorOf(gpu.body).message).toMatch(/^limits: .*gpu/);
    await createOffice();
    const taken = await operator.mutate('profiles.create', OFFICE);
    expect([taken.status, errorOf(taken.body).message]).toEqual([409, expect.stringMatching(/^name: /)]);
    const list = dataOf<{ name: string }[]>((await operator.query('profiles.list')).body);
    expect(list.map((p) => p.name)).toEqual(['office']);
  });

  it("a machine's own assignment beats its tags', and between two tags the most recently assigned wins", async () => {
    const { sessions, ids, as, createOffice } = await fleetOfThree();
    const operator = as(sessions.operator);
    const [first, second] = ids as [string, string, string];
    const office = await createOffice();
    const nights = dataOf<{ id: number }>(
      (await operator.mutate('profiles.create', { name: 'nights', limits: { cores: 8 }, rules: [] })).body,
    ).id;
    await operator.mutate('fleet.tag', { ids: [first, second], tags: ['lab', 'gpu'] });
    await operator.mutate('profiles.assign', { profileId: office, machineIds: [], tags: ['lab'] });
    await operator.mutate('profiles.assign', { profileId: nights, machineIds: [], tags: ['gpu'] });
    const machine = async (id: string) =>
      dataOf<{
        choice: { profileId: number; via: unknown; passedOver: { tag: string; profileName: string }[] };
      }>((await as(sessions.viewer).query('profiles.machine', { id })).body).choice;
    expect(await machine(first)).toMatchObject({
      profileId: nights,
      via: { kind: 'tag', tag: 'gpu' },
      passedOver: [{ tag: 'lab', profileName: 'office' }],
    });
    await operator.mutate('profiles.assign', { profileId: office, machineIds: [first], tags: [] });
    expect(await machine(first)).toMatchObject({ profileId: office, via: { kind: 'machine' } });
    expect(await machine(second)).toMatchObject({ profileId: nights });
    const list = dataOf<{ name: string; followers: string[] }[]>(
      (await operator.query('profiles.list')).body,
    );
    expect(Object.fromEntries(list.map((p) => [p.name, p.followers.length]))).toEqual({
      nights: 1,
      office: 1,
    });
  });

  it('previews per machine (owner-set limits as conflicts, overrides kept), then applies to all three', async () => {
    const { sessions, machines, ids, as, createOffice, seenByConsole } = await fleetOfThree();
    const operator = as(sessions.operator);
    const [first, second, third] = machines as [
      (typeof machines)[number],
      (typeof machines)[number],
      (typeof machines)[number],
    ];
    first.agent.update({ ownerLimits: ['cores'], limits: { ...first.agent.state().limits, cores: 2 } });
    await seenByConsole((s) => (s.limits as { cores: number }).cores === 2, first.machineId);
    const id = await createOffice();
    await operator.mutate('profiles.assign', { profileId: id, machineIds: ids, tags: [] });
    const override = await operator.mutate('profiles.setOverrides', {
      id: second.machineId,
      limits: { priority: 15 },
      rules: [{ ...HOT, when: { ...HOT.when, celsius: 90 } }],
    });
    expect(override.status).toBe(200);

    type Preview = {
      machineId: string;
      diff: {
        limits: { limit: string; now: unknown; after: unknown }[];
        rules: { rule: string; change: string }[];
        ownerConflicts: { limit: string; onMachine: unknown; inProfile: unknown }[];
      };
      overrides: { limits: object };
    };
    const preview = dataOf<Preview[]>(
      (await as(sessions.viewer).query('profiles.preview', { profileId: id })).body,
    );
    const byId = new Map(preview.map((p) => [p.machineId, p]));
    expect(byId.get(first.machineId)?.diff.ownerConflicts).toEqual([
      { limit: 'cores', onMachine: 2, inProfile: 4 },
    ]);
    expect(byId.get(first.machineId)?.diff.limits).toEqual([{ limit: 'priority', now: 19, after: 10 }]);
    expect(byId.get(second.machineId)?.diff.limits).toEqual([
      { limit: 'cores', now: null, after: 4 },
      { limit: 'priority', now: 19, after: 15 },
    ]);
    expect(byId.get(second.machineId)?.overrides.limits).toEqual({ priority: 15 });
    expect(byId.get(third.machineId)?.diff.rules).toEqual([
      expect.objectContaining({ rule: 'my own Blender', change: 'added' }),
      expect.objectContaining({ rule: 'hot', change: 'added' }),
    ]);
    // Nothing was sent by the preview.
    for (const { agent } of machines) expect(agent.executed).toEqual([]);

    const applied = await operator.mutate('profiles.send', { profileId: id, machineIds: ids });
    const outcomes = dataOf<{ machineId: string; status: string }[]>(applied.body);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    expect(commandsOf(first.agent, 'set-limits')).toEqual([{ type: 'set-limits', limits: { priority: 10 } }]);
    expect(first.agent.state().limits.cores).toBe(2);
    expect(commandsOf(second.agent, 'set-rules')).toEqual([
      { type: 'set-rules', rules: [NOT_WHILE_BLENDER, { ...HOT, when: { ...HOT.when, celsius: 90 } }] },
    ]);
    expect(third.agent.state().rules?.console).toEqual(OFFICE.rules);
    expect(third.agent.state().limits).toMatchObject({ cores: 4, priority: 10 });

    // Applied again with nothing changed: nothing is sent.
    await seenByConsole(
      (s) => JSON.stringify((s.rules as { console: Rule[] }).console) === JSON.stringify(OFFICE.rules),
      third.machineId,
    );
    const again = dataOf<{ status: string }[]>(
      (await operator.mutate('profiles.send', { profileId: id, machineIds: [third.machineId] })).body,
    );
    expect(again.map((o) => o.status)).toEqual(['unchanged']);
  });

  it('limits set by hand on a machine that follows a profile are kept as its overrides, and shown', async () => {
    const { sessions, ids, as, createOffice } = await fleetOfThree();
    const operator = as(sessions.operator);
    const [first, second] = ids as [string, string, string];
    const id = await createOffice();
    await operator.mutate('profiles.assign', { profileId: id, machineIds: [first], tags: [] });
    const setLimits = (limits: object) =>
      operator.mutate('fleet.command', { ids: [first, second], command: { type: 'set-limits', limits } });
    await setLimits({ cores: 6, memoryBytes: 2 ** 30 });
    const overridesOf = async (machine: string) =>
      dataOf<{ overrides: { limits: object } }>(
        (await operator.query('profiles.machine', { id: machine })).body,
      ).overrides.limits;
    // Only what the profile sets is an override (memory is the machine's own), and only on a follower.
    expect(await overridesOf(first)).toEqual({ cores: 6 });
    expect(await overridesOf(second)).toEqual({});
    type Preview = { machineId: string; desired: { limits: object } };
    const preview = dataOf<Preview[]>((await operator.query('profiles.preview', { profileId: id })).body);
    expect(preview.map((p) => p.desired.limits)).toEqual([{ cores: 6, priority: 10 }]);
    await setLimits({ cores: 4 });
    expect(await overridesOf(first)).toEqual({});
  });

  it('dry run: what each machine would do now from its last facts, unknown facts and unwatched programs shown as unknown', async () => {
    const { sessions, machines, ids, as, createOffice, seenByConsole } = await fleetOfThree();
    const [hot, noSensor, blender] = machines as [
      (typeof machines)[number],
      (typeof machines)[number],
      (typeof machines)[number],
    ];
    const rulesOf = (agent: typeof hot.agent) =>
      agent.state().rules as NonNullable<ReturnType<typeof hot.agent.state>['rules']>;
    hot.agent.update({ rules: { ...rulesOf(hot.agent), facts: testFacts({ cpuCelsius: 85 }) } });
    noSensor.agent.update({
      rules: {
        ...rulesOf(noSensor.agent),
        facts: testFacts({ cpuCelsius: null }),
        unavailable: ['cpu-temperature'],
      },
    });
    blender.agent.update({
      rules: {
        ...rulesOf(blender.agent),
        owner: [{ ...NOT_WHILE_BLENDER, name: 'owner blender' }],
        facts: testFacts({ runningWatched: ['blender'] }),
      },
    });
    for (const m of machines)
      await seenByConsole((s) => Boolean((s.rules as { facts: unknown }).facts), m.machineId);
    const id = await createOffice();
    await as(sessions.operator).mutate('profiles.assign', { profileId: id, machineIds: ids, tags: [] });
    type Run = {
      machineId: string;
      dryRun: {
        rules: { rule: string; source: string; verdict: string; message: string }[];
        effect: object;
        certain: boolean;
      };
    };
    const runs = new Map(
      dataOf<Run[]>((await as(sessions.viewer).query('profiles.preview', { profileId: id })).body).map(
        (p) => [p.machineId, p.dryRun],
      ),
    );
    const hotRun = runs.get(hot.machineId);
    expect(hotRun?.rules).toEqual([
      {
        rule: 'my own Blender',
        source: 'console',
        verdict: 'unknown',
        message: expect.stringContaining('does not watch `blender` yet'),
        until: null,
      },
      {
        rule: 'hot',
        source: 'console',
        verdict: 'holds',
        message: 'CPU at 85 °C (limit 80 °C)',
        until: null,
      },
    ]);
    expect(hotRun).toMatchObject({
      effect: { requesting: true, pauseNow: false, coreLimit: 2 },
      certain: false,
    });
    expect(runs.get(noSensor.machineId)?.rules[1]).toMatchObject({
      rule: 'hot',
      verdict: 'unknown',
      message: 'the machine has no CPU temperature sensor',
    });
    const blenderRun = runs.get(blender.machineId);
    expect(blenderRun?.rules.map((r) => [r.rule, r.verdict])).toEqual([
      ['owner blender', 'holds'],
      ['my own Blender', 'holds'],
      ['hot', 'clear'],
    ]);
    expect(blenderRun).toMatchObject({
      effect: { requesting: false, pauseNow: true, coreLimit: null },
      certain: true,
    });
  });

  it('re-applies the rules and limits on reconnect, never a limit the owner set; snoozes many machines', async () => {
    const { sessions, machines, ids, as, createOffice } = await fleetOfThree();
    const operator = as(sessions.operator);
    const id = await createOffice();
    await operator.mutate('profiles.assign', { profileId: id, machineIds: ids, tags: [] });
    await operator.mutate('profiles.send', { profileId: id, machineIds: ids });
    const [first] = machines as [(typeof machines)[number]];
    // The agent restarts having lost the console's rules, and its owner now sets the cores.
    await first.client.stop();
    const rules = first.agent.state().rules;
    if (!rules) throw new Error('no rules');
    first.agent.update({
      rules: { ...rules, console: [] },
      limits: { ...first.agent.state().limits, cores: 1, priority: 19 },
      ownerLimits: ['cores'],
    });
    first.agent.executed.length = 0;
    const relinked = first.newClient();
    stops.push(() => relinked.stop());
    await vi.waitFor(() => expect(first.agent.state().rules?.console).toEqual(OFFICE.rules));
    await vi.waitFor(() => expect(first.agent.state().limits.priority).toBe(10));
    expect(first.agent.state().limits.cores).toBe(1);
    expect(commandsOf(first.agent, 'set-limits')).toEqual([{ type: 'set-limits', limits: { priority: 10 } }]);

    const snoozed = await operator.mutate('fleet.command', {
      ids,
      command: { type: 'snooze-rules', minutes: 120 },
    });
    expect(dataOf<{ status: string }[]>(snoozed.body).map((o) => o.status)).toEqual([
      'acked',
      'acked',
      'acked',
    ]);
    for (const { agent } of machines)
      expect(agent.state().rules?.snoozedUntil).toBeGreaterThan(Date.now() + 119 * 60_000);
  });
});

describe('profile input', () => {
  it('any input is accepted or refused with messages that each name a field, never a throw', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (name, limits, rules) => {
        const input = { name, limits, rules };
        const parsed = ProfileInputSchema.safeParse(input);
        if (parsed.success) return;
        for (const message of describeIssues(parsed.error, input)) expect(message).toMatch(/^[^:]+: \S/);
      }),
    );
  });
});
