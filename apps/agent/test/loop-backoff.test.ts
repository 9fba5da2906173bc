// Waiting out a farm in trouble against the real sandbox farm: a short outage costs about its own
// length, "retry now" (and resuming a paused machine) end a wait at once, and a full disk is watched
// instead of waited out.
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { formatLocalTime } from '../src/log/index.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

const MINUTE = 60_000;

const doneFrames = (farm: RunningFarm, projectId: number) =>
  farm.frames(projectId).filter((frame) => frame.state === 'done').length;

/**
 * The farm hands out a frame before an injected HTTP error spoils its answer; that frame stays with
 * the session, so projects here have frames to spare for the requests that fail.
 */
const SPARE_FRAMES = 5;

describe('bad answers from the farm', () => {
  it.each([
    [
      { kind: 'http-status', endpoint: 'request-job', status: 500, times: 1 } as const,
      /internal error \(HTTP 500\)/,
      /HTTP 500/,
    ],
    [
      { kind: 'http-status', endpoint: 'request-job', status: 503, times: 1 } as const,
      /unavailable \(HTTP 503\)/,
      /HTTP 503/,
    ],
    [{ kind: 'not-xml', endpoint: 'request-job', times: 1 } as const, /not a SheepIt answer/, /xml/i],
    [
      { kind: 'wrong-content-type', endpoint: 'request-job', times: 1 } as const,
      /not a SheepIt answer/,
      /content.type/i,
    ],
    [
      { kind: 'drop-connection', endpoint: 'request-job', afterBytes: 0, times: 1 } as const,
      /connection to the farm was cut|cannot be reached/,
      /\w/,
    ],
  ])(
    '%j: says so in a sentence, keeps the raw text as detail, tries again in about 30 s',
    async (fault, sentence, detail) => {
      const farm = await testFarm();
      const project = await syntheticProject(farm, SPARE_FRAMES);
      farm.faults.add(fault);
      const clock = new ManualClock(Date.now());
      const t = await testAgent(farm, { clock });
      await until(() => t.agent.store.state.reason?.code === 'farm-unreachable', {
        what: 'a back-off',
        lines: t.lines,
      });
      const reason = t.agent.store.state.reason;
      expect(reason?.message).toMatch(sentence);
      expect(reason?.detail).toMatch(detail);
      expect(reason?.since).toBe(clock.now());
      // the first retry of a growing back-off (30 s ± 20 %), not the official client's 10–30 minutes
      expect(reason?.until).toBeGreaterThanOrEqual(clock.now() + 24_000);
      expect(reason?.until).toBeLessThanOrEqual(clock.now() + 36_000);
      expect(t.agent.store.state.status).toBe('error');
      await until(() => doneFrames(farm, project.id) >= 1, {
        clock,
        stepMs: 30_000,
        what: 'a frame',
        lines: t.lines,
      });
    },
  );
});

describe('a farm outage', () => {
  it('of 60 s costs about a minute, not the official client’s 10–30 minutes', async () => {
    const clock = new ManualClock(Date.now());
    const farm = await testFarm({ clock });
    const project = await syntheticProject(farm, SPARE_FRAMES);
    const outageStart = clock.now();
    farm.faults.add({ kind: 'http-status', endpoint: 'request-job', status: 503, forMs: MINUTE });
    const t = await testAgent(farm, { clock });
    // Every try the agent schedules while the farm is unreachable (the clock below also advances while
    // real work runs, so the schedule, not the clock at the first frame, is what the outage cost).
    const tries = new Set<number>();
    t.agent.store.on('change', () => {
      const reason = t.agent.store.state.reason;
      if (reason?.code === 'farm-unreachable' && reason.until !== null) tries.add(reason.until);
    });
    await until(() => t.agent.store.state.reason?.code === 'farm-unreachable', { what: 'unreachable' });
    const first = t.agent.store.state.reason;
    expect(first).toMatchObject({ message: 'The farm is unavailable (HTTP 503).', since: outageStart });
    expect(t.agent.store.state.status).toBe('error');
    // the second failure keeps "since" and waits longer
    await until(() => (t.agent.store.state.reason?.until ?? 0) > (first?.until ?? 0), {
      clock,
      stepMs: 1000,
      what: 'the second try',
    });
    expect(t.agent.store.state.reason).toMatchObject({ code: 'farm-unreachable', since: outageStart });
    await until(() => doneFrames(farm, project.id) >= 1, {
      clock,
      stepMs: 1000,
      what: 'the frame after the outage',
      lines: t.lines,
    });
    // the first try after the outage ended was scheduled within 2 minutes of its start
    const firstTryAfter = Math.min(...[...tries].filter((at) => at >= outageStart + MINUTE));
    expect(firstTryAfter - outageStart).toBeLessThan(2 * MINUTE);
  });

  it('"retry now" asks the farm again at once, without waiting out the back-off', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, SPARE_FRAMES);
    farm.faults.add({ kind: 'http-status', endpoint: 'request-job', status: 503, times: 1 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.reason?.code === 'farm-unreachable', { what: 'unreachable' });
    const backingOffAt = clock.now();
    expect(await t.agent.execute({ type: 'retry-now' })).toMatchObject({ ok: true });
    await until(() => doneFrames(farm, project.id) >= 1, { what: 'a frame', lines: t.lines });
    expect(clock.now()).toBe(backingOffAt);
  });

  it('resume of a machine paused while backing off asks the farm again at once', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, SPARE_FRAMES);
    farm.faults.add({ kind: 'http-status', endpoint: 'request-job', status: 503, times: 1 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.reason?.code === 'farm-unreachable', { what: 'unreachable' });
    const backingOffAt = clock.now();
    // Not paused: nothing to resume ("retry now" is what ends a wait).
    expect(await t.agent.execute({ type: 'resume' })).toMatchObject({ ok: true, unchanged: true });
    expect(t.agent.store.state.reason?.code).toBe('farm-unreachable');
    await t.agent.execute({ type: 'pause', when: 'after-frame' });
    expect(await t.agent.execute({ type: 'resume' })).toEqual({ ok: true, message: 'resumed' });
    await until(() => doneFrames(farm, project.id) >= 1, { what: 'a frame', lines: t.lines });
    expect(clock.now()).toBe(backingOffAt);
  });

  it('"retry now" ends an "idle until the user acts" (203) too', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    farm.faults.add({ kind: 'status', endpoint: 'request-job', status: 203, times: 1 });
    const t = await testAgent(farm);
    await until(() => t.agent.store.state.reason?.code === 'session-error', { what: 'session disabled' });
    await t.agent.execute({ type: 'retry-now' });
    await until(() => doneFrames(farm, project.id) === 1, { what: 'the frame', lines: t.lines });
  });
});

describe('a full disk', () => {
  it('is watched: rendering goes on within 10 s of space coming back, not after a 5-minute pause', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    let free = 1024;
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, {
      clock,
      download: { backoffMs: () => 10, freeBytes: async () => free },
    });
    await until(() => t.agent.store.state.reason?.code === 'disk-full', {
      what: 'disk full',
      lines: t.lines,
    });
    expect(t.agent.store.state.status).toBe('error');
    expect(t.agent.store.state.reason?.message).toMatch(/free some space/);
    await clock.advance(30_000);
    expect(doneFrames(farm, project.id)).toBe(0); // still full: no farm call, still waiting
    expect(t.agent.store.state.reason?.code).toBe('disk-full');
    free = 50 * 1024 ** 3;
    await clock.advance(10_000);
    await until(() => doneFrames(farm, project.id) === 1, { what: 'the frame', lines: t.lines });
  });

  it('says the next try with its day when it falls on another day than now', async () => {
    const farm = await testFarm();
    const clock = new ManualClock(new Date(2026, 0, 12, 23, 58).getTime());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.reason?.code === 'no-job', { what: 'no job', lines: t.lines });
    const nextTry = t.agent.store.state.reason?.until ?? 0;
    expect(new Date(nextTry).getDate()).toBe(13);
    const said = t.lines.find((line) => line.includes('Next try at')) ?? '';
    expect(said).toContain(`Next try at ${formatLocalTime(nextTry, clock.now())}.`);
    expect(said).not.toContain(`Next try at ${new Date(nextTry).toLocaleTimeString()}.`);
  });
});
